// A byte stream over bulk USB packets. THE rule (docs/protocol/usb.md §5.2): every IN transfer asks
// for a whole number of wMaxPacketSize packets and surplus bytes are kept for the next read. Asking for exactly
// N bytes is what makes libusb report "overflow" when the device packs more into one packet
// (mtkclient 2.x on the NW-A50).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transport/bulk_endpoint.h"
#include "transport/byte_queue.h"
#include "transport/transport.h"

namespace mtkfs::transport {

struct PacketStreamTuning {
  // Size of each transfer of a large read (rounded down to a multiple of the packet size).
  std::size_t large_transfer = 64 * 1024;
  // Transfers kept queued at once during a large read (also capped by the endpoint).
  std::size_t max_in_flight = 8;
  // discard_input(): a drain read that sees nothing for this long ends the drain ...
  Millis drain_quiet{10};
  // ... and the drain never takes longer than this (a Preloader sends READY every ~20 ms forever).
  Millis drain_limit{250};
};

class PacketStreamTransport : public Transport {
 public:
  PacketStreamTransport(std::unique_ptr<BulkEndpoint> endpoint, std::string description,
                        BootStage stage = BootStage::unknown, PacketStreamTuning tuning = {});

  void write_all(std::span<const std::uint8_t> data, Millis timeout) override;
  void read_exact(std::span<std::uint8_t> out, Millis timeout) override;
  void discard_input() override;
  std::string describe() const override { return description_; }
  BootStage boot_stage_hint() const override { return stage_; }

  BulkEndpoint& endpoint() { return *endpoint_; }
  std::size_t buffered() const { return pending_.size(); }

 private:
  class ReadJob;

  std::vector<std::uint8_t> take_staging(std::size_t size);
  void return_staging(std::vector<std::uint8_t> buffer);

  std::unique_ptr<BulkEndpoint> endpoint_;
  std::string description_;
  BootStage stage_;
  PacketStreamTuning tuning_;
  std::size_t packet_size_;
  ByteQueue pending_;
  std::vector<std::vector<std::uint8_t>> spare_staging_;
};

}  // namespace mtkfs::transport
