#include "transport/packet_stream_transport.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <utility>

namespace mtkfs::transport {

namespace {

using Clock = std::chrono::steady_clock;

std::size_t round_up(std::size_t n, std::size_t unit) { return (n + unit - 1) / unit * unit; }
std::size_t round_down(std::size_t n, std::size_t unit) { return n / unit * unit; }

Millis time_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
  return std::max(left, Millis{0});
}

// Endpoints get at least 1 ms: for libusb a timeout of 0 means "wait forever".
Millis wait_budget(Clock::time_point deadline) { return std::max(time_left(deadline), Millis{1}); }

std::string overflow_message(const std::string& where) {
  return "USB overflow on " + where +
         ": the device sent a packet larger than the space left in a packet-sized buffer. This is "
         "a bug in mtkfs (every bulk IN transfer must be a multiple of wMaxPacketSize)";
}

std::string io_error_message(const std::string& where, const char* direction) {
  return "USB bulk " + std::string(direction) + " transfer failed on " + where +
         " (endpoint stall or transfer error)";
}

}  // namespace

// One read_exact() that has to go to the device. Transfers land directly in the caller's buffer
// while whole packets fit there; the final partial packet goes to a staging buffer whose surplus
// becomes pending input. The queued capacity never exceeds round_up(bytes still needed, packet),
// so when the read is satisfied no transfer is left behind that could swallow the next response.
class PacketStreamTransport::ReadJob {
 public:
  ReadJob(PacketStreamTransport& owner, std::span<std::uint8_t> out, std::size_t already)
      : owner_(owner), endpoint_(*owner.endpoint_), out_(out), got_(already),
        packet_(owner.packet_size_),
        chunk_(std::max(packet_, round_down(owner.tuning_.large_transfer, packet_))),
        depth_(std::max<std::size_t>(
            1, std::min(owner.tuning_.max_in_flight, endpoint_.max_in_flight()))) {}

  void run(Clock::time_point deadline, Millis timeout) {
    try {
      while (got_ < out_.size()) {
        if (Clock::now() >= deadline) {
          abandon_in_flight();
          if (got_ == out_.size()) break;
          fail<TimeoutError>("timed out after " + std::to_string(timeout.count()) +
                             " ms waiting for " + std::to_string(out_.size()) + " bytes from " +
                             owner_.description_ + " (received " + std::to_string(got_) + ")");
        }
        top_up();
        const BulkStatus status = reap_one(wait_budget(deadline));
        if (status == BulkStatus::timeout) abandon_in_flight();  // the endpoint cancelled them
        if (status == BulkStatus::no_device) {
          abandon_in_flight();
          fail<DisconnectedError>(owner_.description_ + " disconnected");
        }
        if (status == BulkStatus::overflow) {
          abandon_in_flight();
          fail<TransportError>(overflow_message(owner_.description_));
        }
        if (status == BulkStatus::io_error) {
          abandon_in_flight();
          fail<TransportError>(io_error_message(owner_.description_, "IN"));
        }
      }
    } catch (...) {
      // The caller's buffer must not be referenced by a transfer once we return.
      if (!in_flight_.empty()) {
        try {
          abandon_in_flight();
        } catch (...) {
        }
      }
      throw;
    }
  }

 private:
  struct InFlight {
    std::size_t offset = 0;  // where the data lands in out_ (when not staged)
    std::size_t capacity = 0;
    bool staged = false;
    std::vector<std::uint8_t> staging;
  };

  // A new transfer goes after the end of the last queued one, never at got_ + queued capacity:
  // once an earlier transfer ended short those two differ, and libusb writes a transfer's data
  // when it handles its completion, possibly before absorb() moved the earlier data into place.
  // Overlapping buffers would then overwrite data not yet taken.
  void top_up() {
    while (in_flight_.size() < depth_) {
      if (!in_flight_.empty() && in_flight_.back().staged) return;  // a staged transfer ends the queue
      const std::size_t budget = round_up(out_.size() - got_, packet_) - queued_capacity_;
      if (budget == 0) return;
      InFlight transfer;
      transfer.offset =
          in_flight_.empty() ? got_ : in_flight_.back().offset + in_flight_.back().capacity;
      const std::size_t fits =
          transfer.offset < out_.size() ? round_down(out_.size() - transfer.offset, packet_) : 0;
      std::span<std::uint8_t> target;
      if (fits > 0) {
        transfer.capacity = std::min({budget, chunk_, fits});
        target = out_.subspan(transfer.offset, transfer.capacity);
      } else {
        // The tail of the read (or what no longer fits beside gaps left by short transfers).
        transfer.capacity = std::min(budget, chunk_);
        transfer.staged = true;
        transfer.staging = owner_.take_staging(transfer.capacity);
        target = std::span<std::uint8_t>(transfer.staging.data(), transfer.capacity);
      }
      queued_capacity_ += transfer.capacity;
      in_flight_.push_back(std::move(transfer));
      endpoint_.submit_in(target);
    }
  }

  BulkStatus reap_one(Millis wait) {
    const BulkResult result = endpoint_.reap_in(wait);
    InFlight done = std::move(in_flight_.front());
    in_flight_.pop_front();
    queued_capacity_ -= done.capacity;
    absorb(done, std::min(result.transferred, done.capacity));
    if (done.staged) owner_.return_staging(std::move(done.staging));
    return result.status;
  }

  // Partial data is real data: keep it, in order (libusb reports it with timeouts and cancels).
  void absorb(const InFlight& done, std::size_t n) {
    if (n == 0) return;  // a zero-length packet means "nothing yet", not "end of message"
    if (!done.staged) {
      // An earlier transfer ended short, so this one's data sits further right than the stream.
      if (done.offset != got_) std::memmove(out_.data() + got_, out_.data() + done.offset, n);
      got_ += n;
      return;
    }
    const std::size_t take = std::min(n, out_.size() - got_);
    std::memcpy(out_.data() + got_, done.staging.data(), take);
    got_ += take;
    owner_.pending_.push_back(std::span<const std::uint8_t>(done.staging.data() + take, n - take));
  }

  void abandon_in_flight() {
    if (in_flight_.empty()) return;
    endpoint_.cancel_in();
    while (!in_flight_.empty()) reap_one(Millis{1});
  }

  template <typename Error>
  [[noreturn]] void fail(const std::string& message) {
    // Keep the stream intact: what this read took goes back in front of any surplus.
    owner_.pending_.push_front(std::span<const std::uint8_t>(out_.data(), got_));
    got_ = 0;
    throw Error(message);
  }

  PacketStreamTransport& owner_;
  BulkEndpoint& endpoint_;
  std::span<std::uint8_t> out_;
  std::size_t got_;
  const std::size_t packet_;
  const std::size_t chunk_;
  const std::size_t depth_;
  std::deque<InFlight> in_flight_;
  std::size_t queued_capacity_ = 0;
};

PacketStreamTransport::PacketStreamTransport(std::unique_ptr<BulkEndpoint> endpoint,
                                             std::string description, BootStage stage,
                                             PacketStreamTuning tuning)
    : endpoint_(std::move(endpoint)), description_(std::move(description)), stage_(stage),
      tuning_(tuning) {
  if (!endpoint_) throw TransportError("PacketStreamTransport needs an endpoint");
  packet_size_ = endpoint_->max_packet_size();
  if (packet_size_ == 0) throw TransportError(description_ + ": endpoint reports wMaxPacketSize 0");
}

std::vector<std::uint8_t> PacketStreamTransport::take_staging(std::size_t size) {
  std::vector<std::uint8_t> buffer;
  if (!spare_staging_.empty()) {
    buffer = std::move(spare_staging_.back());
    spare_staging_.pop_back();
  }
  buffer.resize(size);
  return buffer;
}

void PacketStreamTransport::return_staging(std::vector<std::uint8_t> buffer) {
  if (spare_staging_.size() < 4) spare_staging_.push_back(std::move(buffer));
}

void PacketStreamTransport::read_exact(std::span<std::uint8_t> out, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::size_t already = pending_.pop_into(out);
  if (already == out.size()) return;
  ReadJob(*this, out, already).run(deadline, timeout);
}

void PacketStreamTransport::write_all(std::span<const std::uint8_t> data, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t sent = 0;
  while (sent < data.size()) {
    if (Clock::now() >= deadline) {
      throw TimeoutError("timed out after " + std::to_string(timeout.count()) + " ms sending " +
                         std::to_string(data.size()) + " bytes to " + description_ + " (" +
                         std::to_string(sent) + " sent)");
    }
    const BulkResult result = endpoint_->bulk_out(data.subspan(sent), wait_budget(deadline));
    sent += std::min(result.transferred, data.size() - sent);
    if (result.status == BulkStatus::no_device) {
      throw DisconnectedError(description_ + " disconnected");
    }
    if (result.status == BulkStatus::overflow) {
      throw TransportError(description_ + ": bulk OUT reported overflow");
    }
    if (result.status == BulkStatus::io_error) {
      throw TransportError(io_error_message(description_, "OUT"));
    }
  }
}

void PacketStreamTransport::discard_input() {
  pending_.clear();
  std::vector<std::uint8_t> packet = take_staging(packet_size_);
  const auto give_up = Clock::now() + tuning_.drain_limit;
  while (Clock::now() < give_up) {
    endpoint_->submit_in(packet);
    const BulkResult result = endpoint_->reap_in(std::max(tuning_.drain_quiet, Millis{1}));
    if (result.status == BulkStatus::no_device) {
      throw DisconnectedError(description_ + " disconnected");
    }
    if (result.status == BulkStatus::overflow) {
      throw TransportError(overflow_message(description_));
    }
    if (result.status == BulkStatus::io_error) {
      throw TransportError(io_error_message(description_, "IN"));
    }
    if (result.status == BulkStatus::timeout && result.transferred == 0) break;  // quiet
  }
  return_staging(std::move(packet));
}

}  // namespace mtkfs::transport
