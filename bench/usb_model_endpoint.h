// transport::BulkEndpoint on top of the simulator's in-process USB device (sim::UsbDeviceModel), counting
// transfers, so the benchmark runs the real PacketStreamTransport + da::Device over the same device model
// mtkfs-sim uses. (tests/transport/sim_usb_endpoint.h is the GoogleTest flavour of the same adapter.)
#pragma once

#include <atomic>
#include <cstdint>

#include "sim/sim.h"
#include "transport/bulk_endpoint.h"

namespace mtkfs::bench {

struct UsbCounters {
  std::atomic<std::uint64_t> in_transfers{0};
  std::atomic<std::uint64_t> in_bytes{0};
  std::atomic<std::uint64_t> out_transfers{0};
  std::atomic<std::uint64_t> out_bytes{0};
};

class UsbModelEndpoint : public transport::BulkEndpoint {
 public:
  UsbModelEndpoint(sim::UsbDeviceModel& device, UsbCounters& counters)
      : device_(device), counters_(counters) {}

  std::size_t max_packet_size() const override { return device_.max_packet_size(); }

  transport::BulkResult bulk_out(std::span<const std::uint8_t> data, transport::Millis timeout) override {
    const sim::UsbTransfer t = device_.bulk_out(data, timeout);
    counters_.out_transfers.fetch_add(1, std::memory_order_relaxed);
    counters_.out_bytes.fetch_add(t.transferred, std::memory_order_relaxed);
    return {convert(t.status), t.transferred};
  }

  transport::BulkResult bulk_in(std::span<std::uint8_t> buffer, transport::Millis timeout) override {
    const sim::UsbTransfer t = device_.bulk_in(buffer, timeout);
    counters_.in_transfers.fetch_add(1, std::memory_order_relaxed);
    counters_.in_bytes.fetch_add(t.transferred, std::memory_order_relaxed);
    return {convert(t.status), t.transferred};
  }

 private:
  static transport::BulkStatus convert(sim::UsbStatus status) {
    switch (status) {
      case sim::UsbStatus::ok: return transport::BulkStatus::ok;
      case sim::UsbStatus::timeout: return transport::BulkStatus::timeout;
      case sim::UsbStatus::overflow: return transport::BulkStatus::overflow;
      case sim::UsbStatus::no_device: return transport::BulkStatus::no_device;
      case sim::UsbStatus::stall: return transport::BulkStatus::io_error;
    }
    return transport::BulkStatus::io_error;
  }

  sim::UsbDeviceModel& device_;
  UsbCounters& counters_;
};

}  // namespace mtkfs::bench
