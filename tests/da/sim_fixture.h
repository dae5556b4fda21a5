// A simulated NW-A50 (in-process mtkfs::sim server) behind a da::Device, over the socket, a pty
// or the in-process USB device model, with pattern-filled images to compare against.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "da/device.h"
#include "sim/image/image.h"
#include "sim/sim.h"
#include "tests/da/test_timing.h"
#include "tests/support/temp_dir.h"
#include "tests/transport/eager_bulk_endpoint.h"
#include "sim/usb_model_endpoint.h"
#include "transport/open_transport.h"
#include "transport/packet_stream_transport.h"

namespace mtkfs::testing {

enum class Medium { socket, pty, usb };

inline std::string medium_name(Medium m) {
  switch (m) {
    case Medium::socket: return "socket";
    case Medium::pty: return "pty";
    case Medium::usb: return "usb_model";
  }
  return "unknown";
}

class SimDevice {
 public:
  static constexpr std::uint64_t kUserSize = 32ull << 20;

  // Images (pattern mode, no partition table) and the synthetic DA file, once per fixture.
  explicit SimDevice(std::uint64_t user_size = kUserSize) {
    sim::image::InitOptions init;
    init.dir = dir_ / "img";
    init.pattern = true;
    init.layout = sim::image::Layout::none;
    init.user_size = user_size;
    sim::image::init_disk(init);
    sim::image::write_synthetic_da(da_file());
    config.dir = dir_ / "img";
  }

  std::filesystem::path da_file() const { return dir_ / "da.bin"; }
  std::filesystem::path image(const std::string& name) const { return dir_ / "img" / name; }

  // Starts the device with `config` (adjust it first) on `medium`.
  void start(Medium medium) {
    medium_ = medium;
    switch (medium) {
      case Medium::socket:
        socket_ = std::make_unique<sim::SocketServer>(config, dir_ / "sim.sock");
        break;
      case Medium::pty: pty_ = std::make_unique<sim::PtyServer>(config); break;
      case Medium::usb: usb_ = std::make_unique<sim::UsbDeviceModel>(config); break;
    }
  }

  std::unique_ptr<transport::Transport> open() {
    transport::ConnectOptions options;
    options.wait_seconds = 5;
    switch (medium_) {
      case Medium::socket:
        options.socket = socket_->socket_path().string();
        return transport::open_transport(options);
      case Medium::pty: options.port = fresh_pty_path(); return transport::open_transport(options);
      case Medium::usb: {
        await_new_enumeration();
        // What UsbTransport does on open: CDC line coding makes the Preloader send READY.
        const std::uint8_t coding[7] = {0x00, 0x10, 0x0E, 0x00, 0x00, 0x00, 0x08};
        usb_->control_out(0x21, 0x20, 0, 0, coding);
        usb_->control_out(0x21, 0x22, 2, 0, {});
        // Transfers fill as the device sends, as with libusb, not only when they are reaped.
        return std::make_unique<transport::PacketStreamTransport>(
            std::make_unique<transport::testing::EagerBulkEndpoint>(
                std::make_unique<sim::UsbModelEndpoint>(*usb_, usb_counts_,
                                                        [](std::size_t size) {
                                                          ADD_FAILURE() << "bulk_in buffer of " << size
                                                                        << " bytes is not a multiple of 512";
                                                        })),
            "simulated usb", transport::BootStage::preloader);
      }
    }
    return nullptr;
  }

  std::unique_ptr<da::Device> make_device(da::Timing timing = fast_timing()) {
    da::DeviceOptions options;
    options.timing = timing;
    return std::make_unique<da::Device>([this] { return open(); }, da_file(), options);
  }

  std::vector<std::uint8_t> file_bytes(const std::string& name, std::uint64_t offset,
                                       std::size_t length) const {
    std::ifstream in(image(name), std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::vector<std::uint8_t> out(length);
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(length));
    EXPECT_EQ(static_cast<std::size_t>(in.gcount()), length) << name << " too short";
    return out;
  }

  sim::SimConfig config;

 private:
  // A pty is replaced when the device leaves the bus (like a ttyACM node), possibly under the same
  // /dev/pts number. A second open means the caller expects a new one (after a reboot or speed
  // switch): wait (bounded) for the next pty. Its node exists, still locked, before it is ready, so
  // the path alone cannot tell.
  std::string fresh_pty_path() {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (pty_opens_ > 0 && pty_->generation() == last_pty_generation_ &&
           std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    last_pty_generation_ = pty_->generation();
    ++pty_opens_;
    return pty_->slave_path();
  }

  // The same rule for the USB model: a second open waits (bounded) for a new enumeration.
  void await_new_enumeration() {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (usb_opens_ > 0 && usb_->enumeration_count() == last_enumeration_ &&
           std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!usb_->wait_enumerated(std::chrono::seconds(5)))
      throw transport::DisconnectedError("simulated USB device is off the bus");
    last_enumeration_ = usb_->enumeration_count();
    ++usb_opens_;
  }

  std::uint64_t last_enumeration_ = 0;
  int usb_opens_ = 0;
  std::uint64_t last_pty_generation_ = 0;
  int pty_opens_ = 0;
  TempDir dir_;
  Medium medium_ = Medium::socket;
  std::unique_ptr<sim::SocketServer> socket_;
  std::unique_ptr<sim::PtyServer> pty_;
  sim::UsbTransferCounts usb_counts_;  // declared before the model: transports may outlive a reset
  std::unique_ptr<sim::UsbDeviceModel> usb_;
};

// Index of the first 8-byte word that is not the pattern, or -1.
inline long long first_pattern_error(const std::vector<std::uint8_t>& data, std::uint8_t region,
                                     std::uint64_t offset) {
  for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
    std::uint64_t word = 0;
    for (int b = 7; b >= 0; --b) word = (word << 8) | data[i + static_cast<std::size_t>(b)];
    if (word != sim::image::pattern_word(region, offset + i)) return static_cast<long long>(i);
  }
  return -1;
}

}  // namespace mtkfs::testing
