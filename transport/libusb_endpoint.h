// BulkEndpoint over libusb-1.0: an opened, claimed device plus asynchronous IN transfers.
// Internal to transport/ (the only place that includes libusb.h).
#pragma once

#include <libusb.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "transport/bulk_endpoint.h"

namespace mtkfs::transport::usb {

// Owns libusb_init/libusb_exit.
class LibusbContext {
 public:
  LibusbContext();
  ~LibusbContext();
  LibusbContext(const LibusbContext&) = delete;
  LibusbContext& operator=(const LibusbContext&) = delete;
  libusb_context* get() const { return ctx_; }

 private:
  libusb_context* ctx_ = nullptr;
};

// An open handle with the data interface claimed. Undoes everything on destruction: releases
// the interface and gives the interfaces back to the kernel driver it took them from (cdc_acm).
struct ClaimedDevice {
  std::shared_ptr<LibusbContext> context;
  libusb_device_handle* handle = nullptr;
  int data_interface = -1;
  std::vector<int> detached_interfaces;  // in the order they must be re-attached
  std::uint8_t endpoint_in = 0;
  std::uint8_t endpoint_out = 0;
  std::size_t max_packet_size = 0;

  ClaimedDevice() = default;
  ClaimedDevice(const ClaimedDevice&) = delete;
  ClaimedDevice& operator=(const ClaimedDevice&) = delete;
  ~ClaimedDevice();
};

class LibusbBulkEndpoint : public BulkEndpoint {
 public:
  explicit LibusbBulkEndpoint(std::unique_ptr<ClaimedDevice> device);
  ~LibusbBulkEndpoint() override;

  std::size_t max_packet_size() const override { return device_->max_packet_size; }
  BulkResult bulk_out(std::span<const std::uint8_t> data, Millis timeout) override;
  BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) override;

  std::size_t max_in_flight() const override { return 16; }
  void submit_in(std::span<std::uint8_t> buffer) override;
  BulkResult reap_in(Millis timeout) override;
  void cancel_in() override;

  // usbfs limits the memory of all URBs in flight (16 MiB by default); stay well below.
  static constexpr std::size_t kMaxTransfer = 1024 * 1024;

 private:
  struct Slot {
    libusb_transfer* transfer = nullptr;
    int completed = 0;  // set by the libusb callback, polled by handle_events_*_completed
    bool cancel_requested = false;
    BulkResult early{BulkStatus::io_error, 0};  // result when submission itself failed
  };
  static void LIBUSB_CALL on_transfer_done(libusb_transfer* transfer);
  // Runs libusb's event loop until slot.completed or the time is up; true when completed.
  bool wait_for(Slot& slot, Millis limit);
  void cancel_and_wait_all();
  void refuse_if_wedged() const;

  std::unique_ptr<ClaimedDevice> device_;
  std::deque<std::unique_ptr<Slot>> slots_;
  bool wedged_ = false;  // a transfer could not be cancelled: its buffer may still be written
};

BulkStatus map_libusb_error(int error);

}  // namespace mtkfs::transport::usb
