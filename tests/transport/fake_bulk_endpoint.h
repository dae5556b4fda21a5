// A scripted device behind a BulkEndpoint with libusb IN semantics, for PacketStreamTransport tests.
// Device "transfers" are split into wMaxPacketSize packets (short final packet, no ZLP), exactly as
// docs/protocol/usb.md §5.1 describes a Preloader/DA sending one unit.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "transport/bulk_endpoint.h"

namespace mtkfs::transport::testing {

// n bytes that differ from any shifted copy of themselves (an LCG per seed): a misplaced byte shows.
inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

class FakeBulkEndpoint : public BulkEndpoint {
 public:
  explicit FakeBulkEndpoint(std::size_t packet_size = 512) : packet_size_(packet_size) {}

  // One unit sent by the device: split into full packets plus a short last one.
  void send_unit(const std::vector<std::uint8_t>& bytes) {
    for (std::size_t pos = 0; pos < bytes.size(); pos += packet_size_) {
      const std::size_t n = std::min(packet_size_, bytes.size() - pos);
      script_.push_back({Event::packet, {bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                                         bytes.begin() + static_cast<std::ptrdiff_t>(pos + n)}});
    }
  }
  // A single packet exactly as given (may be a ZLP, must not exceed the packet size).
  void send_packet(const std::vector<std::uint8_t>& bytes) {
    EXPECT_LE(bytes.size(), packet_size_) << "test bug: a packet cannot exceed wMaxPacketSize";
    script_.push_back({Event::packet, bytes});
  }
  // The device stays quiet long enough for the pending transfer to time out.
  void go_quiet() { script_.push_back({Event::quiet, {}}); }
  void unplug() { script_.push_back({Event::unplug, {}}); }
  void unplug_now() { unplugged_ = true; }

  std::size_t max_packet_size() const override { return packet_size_; }

  BulkResult bulk_out(std::span<const std::uint8_t> data, Millis) override {
    if (unplugged_) return {BulkStatus::no_device, 0};
    const std::size_t n = std::min(data.size(), out_limit_);
    written_.insert(written_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    ++out_calls_;
    return {BulkStatus::ok, n};
  }

  BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) override {
    ++in_calls_;
    in_sizes_.push_back(buffer.size());
    // THE point of these tests: every IN buffer is a whole number of packets.
    if (buffer.size() == 0 || buffer.size() % packet_size_ != 0) {
      ++bad_buffers_;
      ADD_FAILURE() << "bulk_in buffer of " << buffer.size() << " bytes is not a multiple of "
                    << packet_size_;
    }
    std::size_t filled = 0;
    for (;;) {
      if (unplugged_) return {BulkStatus::no_device, filled};
      if (script_.empty()) {
        // Nothing more will come: behave like a real timeout, but briefly.
        std::this_thread::sleep_for(std::min(timeout, Millis{2}));
        return {BulkStatus::timeout, filled};
      }
      Step& step = script_.front();
      if (step.event == Event::quiet) {
        script_.pop_front();
        return {BulkStatus::timeout, filled};
      }
      if (step.event == Event::unplug) {
        script_.pop_front();
        unplugged_ = true;
        continue;
      }
      const std::size_t space = buffer.size() - filled;
      if (step.bytes.size() > space) {
        // libusb: the packet does not fit; what fits is reported, the rest is lost.
        std::copy_n(step.bytes.begin(), space, buffer.begin() + static_cast<std::ptrdiff_t>(filled));
        script_.pop_front();
        return {BulkStatus::overflow, buffer.size()};
      }
      std::copy(step.bytes.begin(), step.bytes.end(),
                buffer.begin() + static_cast<std::ptrdiff_t>(filled));
      filled += step.bytes.size();
      const bool short_packet = step.bytes.size() < packet_size_;
      script_.pop_front();
      if (short_packet || filled == buffer.size()) return {BulkStatus::ok, filled};
    }
  }

  // Streaming goes through the synchronous defaults; only count how deep the queue gets.
  void submit_in(std::span<std::uint8_t> buffer) override {
    ++queued_;
    max_queued_ = std::max(max_queued_, queued_);
    BulkEndpoint::submit_in(buffer);
  }
  BulkResult reap_in(Millis timeout) override {
    --queued_;
    return BulkEndpoint::reap_in(timeout);
  }

  // Makes bulk_out accept at most this many bytes per call (status ok), like a capped transfer.
  void limit_out_per_call(std::size_t n) { out_limit_ = n; }

  std::size_t bad_buffers() const { return bad_buffers_; }
  std::size_t max_queued() const { return max_queued_; }
  std::size_t in_calls() const { return in_calls_; }
  const std::vector<std::size_t>& in_sizes() const { return in_sizes_; }
  std::size_t packets_left() const { return script_.size(); }
  const std::vector<std::uint8_t>& written() const { return written_; }
  std::size_t out_calls() const { return out_calls_; }

 private:
  enum class Event { packet, quiet, unplug };
  struct Step {
    Event event;
    std::vector<std::uint8_t> bytes;
  };

  std::size_t packet_size_;
  std::deque<Step> script_;
  bool unplugged_ = false;
  std::size_t bad_buffers_ = 0;
  std::size_t in_calls_ = 0;
  std::vector<std::size_t> in_sizes_;
  std::vector<std::uint8_t> written_;
  std::size_t out_limit_ = SIZE_MAX;
  std::size_t out_calls_ = 0;
  std::size_t queued_ = 0;
  std::size_t max_queued_ = 0;
};

}  // namespace mtkfs::transport::testing
