// The in-process USB model as a transport::BulkEndpoint, so that host-side code (the real
// PacketStreamTransport and da::Device) runs against the same device model mtkfs-sim uses. Used by
// the benchmark and the tests; the simulator itself never includes it (it shares no code with the
// host side), which is why it is header-only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>

#include "sim/sim.h"
#include "transport/bulk_endpoint.h"

namespace mtkfs::sim {

struct UsbTransferCounts {
  std::atomic<std::uint64_t> in_transfers{0};
  std::atomic<std::uint64_t> in_bytes{0};
  std::atomic<std::uint64_t> out_transfers{0};
  std::atomic<std::uint64_t> out_bytes{0};
  // IN buffers that are not a whole number of packets (mtkfs must never ask for one) and overflows.
  std::atomic<std::uint64_t> bad_in_buffers{0};
  std::atomic<std::uint64_t> overflows{0};
};

class UsbModelEndpoint : public transport::BulkEndpoint {
 public:
  // `counts` must outlive the endpoint. `on_bad_buffer` (optional) is told the size of every IN
  // buffer that is not a multiple of the packet size, as it happens (tests fail there).
  UsbModelEndpoint(UsbDeviceModel& device, UsbTransferCounts& counts,
                   std::function<void(std::size_t)> on_bad_buffer = {})
      : device_(device), counts_(counts), on_bad_buffer_(std::move(on_bad_buffer)) {}

  std::size_t max_packet_size() const override { return device_.max_packet_size(); }

  transport::BulkResult bulk_out(std::span<const std::uint8_t> data, transport::Millis timeout) override {
    const UsbTransfer t = device_.bulk_out(data, timeout);
    counts_.out_transfers.fetch_add(1, std::memory_order_relaxed);
    counts_.out_bytes.fetch_add(t.transferred, std::memory_order_relaxed);
    return {convert(t.status), t.transferred};
  }

  transport::BulkResult bulk_in(std::span<std::uint8_t> buffer, transport::Millis timeout) override {
    if (buffer.size() % device_.max_packet_size() != 0) {
      counts_.bad_in_buffers.fetch_add(1, std::memory_order_relaxed);
      if (on_bad_buffer_) on_bad_buffer_(buffer.size());
    }
    const UsbTransfer t = device_.bulk_in(buffer, timeout);
    counts_.in_transfers.fetch_add(1, std::memory_order_relaxed);
    counts_.in_bytes.fetch_add(t.transferred, std::memory_order_relaxed);
    if (t.status == UsbStatus::overflow) counts_.overflows.fetch_add(1, std::memory_order_relaxed);
    return {convert(t.status), t.transferred};
  }

 private:
  static transport::BulkStatus convert(UsbStatus status) {
    switch (status) {
      case UsbStatus::ok: return transport::BulkStatus::ok;
      case UsbStatus::timeout: return transport::BulkStatus::timeout;
      case UsbStatus::overflow: return transport::BulkStatus::overflow;
      case UsbStatus::no_device: return transport::BulkStatus::no_device;
      case UsbStatus::stall: return transport::BulkStatus::io_error;
    }
    return transport::BulkStatus::io_error;
  }

  UsbDeviceModel& device_;
  UsbTransferCounts& counts_;
  std::function<void(std::size_t)> on_bad_buffer_;
};

}  // namespace mtkfs::sim
