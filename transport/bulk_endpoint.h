// One bulk IN + one bulk OUT endpoint with libusb semantics. PacketStreamTransport turns this into a
// byte stream; libusb, test fakes and the simulator's in-process USB model sit underneath.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>

#include "transport/transport.h"

namespace mtkfs::transport {

// io_error: anything else the stack reports (endpoint stall, transfer error); never expected.
enum class BulkStatus { ok, timeout, overflow, no_device, io_error };

struct BulkResult {
  BulkStatus status;
  std::size_t transferred;
};

const char* to_string(BulkStatus status);

class BulkEndpoint {
 public:
  virtual ~BulkEndpoint() = default;

  // wMaxPacketSize of the IN endpoint (512 at high speed, 64 at full speed).
  virtual std::size_t max_packet_size() const = 0;

  // Never appends a zero-length packet. On timeout, `transferred` says how much left. An
  // implementation may also send only a prefix with status ok (e.g. to bound one transfer's
  // size); the caller sends the rest.
  virtual BulkResult bulk_out(std::span<const std::uint8_t> data, Millis timeout) = 0;

  // buffer.size() should be a multiple of max_packet_size(). Completes when the buffer is full or a
  // short packet (possibly zero-length) arrived; overflow when a packet is longer than the space
  // left; on timeout, `transferred` counts the packets that did arrive.
  virtual BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) = 0;

  // ---- Streaming IN: several transfers queued at once, completed strictly in submission order
  // (one endpoint's transfers are processed by the host controller in order). The defaults run
  // each queued transfer synchronously with bulk_in() when it is reaped; an asynchronous
  // implementation (libusb) overrides all four so the device never waits for the host.

  // How many transfers submit_in() accepts before one must be reaped.
  virtual std::size_t max_in_flight() const { return 16; }

  // Queues a transfer into `buffer`, which must stay valid until the transfer is reaped.
  // Never throws for device errors; they are reported by reap_in().
  virtual void submit_in(std::span<std::uint8_t> buffer);

  // Result of the oldest queued transfer, waiting at most `timeout` for it. When it does not
  // complete in time it is cancelled together with every later transfer; those are then reaped
  // (status timeout, with whatever data they hold) without further waiting.
  virtual BulkResult reap_in(Millis timeout);

  // Cancels every queued transfer; reap_in() then returns each one promptly.
  virtual void cancel_in();

 private:
  // State of the synchronous default only.
  struct Queued {
    std::span<std::uint8_t> buffer;
    bool cancelled = false;
    BulkStatus cancelled_as = BulkStatus::timeout;
  };
  void cancel_queued(BulkStatus as);
  std::deque<Queued> queued_;
};

}  // namespace mtkfs::transport
