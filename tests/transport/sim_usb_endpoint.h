// Adapts the simulator's in-process USB device (sim::UsbDeviceModel) to transport::BulkEndpoint, so
// PacketStreamTransport can be tested against the same device model mtkfs-sim uses. Test-only:
// transport/ never depends on sim/.
#pragma once

#include <gtest/gtest.h>

#include "sim/sim.h"
#include "transport/bulk_endpoint.h"

namespace mtkfs::transport::testing {

inline BulkStatus to_bulk_status(sim::UsbStatus status) {
  switch (status) {
    case sim::UsbStatus::ok: return BulkStatus::ok;
    case sim::UsbStatus::timeout: return BulkStatus::timeout;
    case sim::UsbStatus::overflow: return BulkStatus::overflow;
    case sim::UsbStatus::no_device: return BulkStatus::no_device;
    case sim::UsbStatus::stall: return BulkStatus::io_error;
  }
  return BulkStatus::io_error;
}

class SimUsbEndpoint : public BulkEndpoint {
 public:
  explicit SimUsbEndpoint(sim::UsbDeviceModel& device) : device_(device) {}

  std::size_t max_packet_size() const override { return device_.max_packet_size(); }

  BulkResult bulk_out(std::span<const std::uint8_t> data, Millis timeout) override {
    const sim::UsbTransfer t = device_.bulk_out(data, timeout);
    return {to_bulk_status(t.status), t.transferred};
  }

  BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) override {
    if (buffer.size() % device_.max_packet_size() != 0) {
      ++bad_buffers_;
      ADD_FAILURE() << "bulk_in buffer of " << buffer.size() << " bytes is not a multiple of "
                    << device_.max_packet_size();
    }
    const sim::UsbTransfer t = device_.bulk_in(buffer, timeout);
    if (t.status == sim::UsbStatus::overflow) ++overflows_;
    return {to_bulk_status(t.status), t.transferred};
  }

  std::size_t bad_buffers() const { return bad_buffers_; }
  std::size_t overflows() const { return overflows_; }

 private:
  sim::UsbDeviceModel& device_;
  std::size_t bad_buffers_ = 0;
  std::size_t overflows_ = 0;
};

}  // namespace mtkfs::transport::testing
