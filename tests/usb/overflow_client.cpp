// A minimal libusb host, run under `mtkfs-sim usb`, that reads the way mtkclient 2.x does in its
// non-fast mode: each bulk IN transfer asks for exactly the bytes it still wants (docs/protocol/usb.md §8).
// It opens the first MediaTek Preloader, claims its data interface, sets the line coding (the Preloader
// then sends READY while it waits), lets the device's replies pile up for WAIT_MS, and asks for COUNT
// bytes. Prints the libusb result name ("LIBUSB_ERROR_OVERFLOW" when the packet was longer than COUNT)
// and the bytes it got; exit status 0 when the transfer itself ran (whatever its result), 2 on set-up errors.
#include <libusb-1.0/libusb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::uint16_t kVid = 0x0e8d;
constexpr std::uint16_t kPid = 0x2000;
constexpr unsigned char kIn = 0x81;
constexpr int kDataInterface = 0;

int fail(const char* what, int rc) {
  std::fprintf(stderr, "overflow_client: %s: %s\n", what, libusb_error_name(rc));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: overflow_client COUNT WAIT_MS\n");
    return 2;
  }
  const int count = std::atoi(argv[1]);
  const int wait_ms = std::atoi(argv[2]);
  libusb_context* ctx = nullptr;
  if (int rc = libusb_init(&ctx); rc != 0) return fail("libusb_init", rc);
  libusb_device_handle* handle = libusb_open_device_with_vid_pid(ctx, kVid, kPid);
  if (!handle) return fail("open 0e8d:2000", LIBUSB_ERROR_NO_DEVICE);
  if (libusb_kernel_driver_active(handle, kDataInterface) == 1) {
    if (int rc = libusb_detach_kernel_driver(handle, kDataInterface); rc != 0) return fail("detach", rc);
  }
  if (int rc = libusb_claim_interface(handle, kDataInterface); rc != 0) return fail("claim", rc);
  unsigned char coding[7] = {0x00, 0xC2, 0x01, 0x00, 0x00, 0x00, 0x08};  // 115200 8N1
  if (int rc = libusb_control_transfer(handle, 0x21, 0x20, 0, 0, coding, sizeof coding, 1000); rc < 0)
    return fail("SET_LINE_CODING", rc);
  std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));

  std::vector<unsigned char> buffer(static_cast<std::size_t>(count));
  int got = 0;
  const int rc = libusb_bulk_transfer(handle, kIn, buffer.data(), count, &got, 2000);
  std::printf("read %d: %s, %d bytes: %.*s\n", count, rc == 0 ? "LIBUSB_SUCCESS" : libusb_error_name(rc), got, got,
              reinterpret_cast<const char*>(buffer.data()));
  libusb_release_interface(handle, kDataInterface);
  libusb_attach_kernel_driver(handle, kDataInterface);
  libusb_close(handle);
  libusb_exit(ctx);
  return 0;
}
