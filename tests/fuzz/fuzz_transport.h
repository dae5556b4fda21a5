// An in-memory Transport whose "device" is a fuzz input: the bytes the device sends, plus the
// moments of silence between them. Nothing sleeps and no deadline is consulted, so a run depends
// only on the input: silence is an explicit event, and the end of the input is a few timeouts
// followed by a disconnect (so every retry loop of the host ends).
//
// Events (positions in the device stream):
//   gap      a read that needs the byte at this position times out once; the bytes before it
//            stay buffered, as mtkfs transports keep them (transport.h)
//   discard  discard_input() drops the unread bytes up to here ("already sent" when the host
//            flushes); without a pending mark discard_input() drops nothing
#pragma once

#include <string.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transport/transport.h"

namespace mtkfs::fuzz {

struct DeviceStream {
  enum class EventKind : std::uint8_t { gap, discard };
  struct Event {
    EventKind kind;
    std::size_t position;
  };

  std::vector<std::uint8_t> bytes;  // device -> host
  std::vector<Event> events;        // sorted by position; consumed from the front
  std::size_t position = 0;         // next unread byte
  int timeouts_at_end = 2;          // after the last byte: this many timeouts, then disconnected
  std::size_t write_failure_at = 0; // 1-based index of the host write that fails; 0 = none
  bool write_failure_disconnects = false;
  std::size_t writes = 0;
  std::vector<std::uint8_t> host_bytes;  // everything the host sent, for checks
  std::size_t host_bytes_limit = 1 << 20;

  void sort_events() {
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.position < b.position; });
  }
};

class FuzzTransport final : public transport::Transport {
 public:
  explicit FuzzTransport(std::shared_ptr<DeviceStream> stream) : s_(std::move(stream)) {}

  void write_all(std::span<const std::uint8_t> data, transport::Millis) override {
    ++s_->writes;
    if (s_->writes == s_->write_failure_at) {
      if (s_->write_failure_disconnects) throw transport::DisconnectedError("fuzz: device gone during a write");
      throw transport::TimeoutError("fuzz: write timed out");
    }
    const std::size_t room = s_->host_bytes_limit - std::min(s_->host_bytes_limit, s_->host_bytes.size());
    s_->host_bytes.insert(s_->host_bytes.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(std::min(room, data.size())));
  }

  void read_exact(std::span<std::uint8_t> out, transport::Millis) override {
    DeviceStream& s = *s_;
    const std::size_t end = s.position + out.size();
    for (auto it = s.events.begin(); it != s.events.end(); ++it) {
      if (it->position >= end) break;
      if (it->kind == DeviceStream::EventKind::gap && it->position >= s.position) {
        s.events.erase(it);
        throw transport::TimeoutError("fuzz: device silent");
      }
    }
    if (end > s.bytes.size()) {
      if (s.timeouts_at_end > 0) {
        --s.timeouts_at_end;
        throw transport::TimeoutError("fuzz: end of device stream");
      }
      throw transport::DisconnectedError("fuzz: device stream ended");
    }
    std::copy_n(s.bytes.begin() + static_cast<std::ptrdiff_t>(s.position), out.size(), out.begin());
    s.position = end;
    drop_passed_events();
  }

  void discard_input() override {
    DeviceStream& s = *s_;
    for (auto it = s.events.begin(); it != s.events.end(); ++it) {
      if (it->kind == DeviceStream::EventKind::discard && it->position >= s.position) {
        s.position = std::min(it->position, s.bytes.size());
        s.events.erase(it);
        drop_passed_events();
        return;
      }
    }
  }

  std::string describe() const override { return "fuzz device"; }

 private:
  void drop_passed_events() {
    auto& ev = s_->events;
    ev.erase(std::remove_if(ev.begin(), ev.end(), [&](const DeviceStream::Event& e) { return e.position < s_->position; }),
             ev.end());
  }

  std::shared_ptr<DeviceStream> s_;
};

// The bytes `data` were served by the device followed by their be16 byte-sum (a D6 chunk that
// passed its checksum): the host may only return such bytes.
inline bool served_as_checked_chunk(const DeviceStream& s, std::span<const std::uint8_t> data) {
  if (data.empty()) return true;
  std::uint32_t sum = 0;
  for (const std::uint8_t b : data) sum += b;
  const std::uint8_t hi = static_cast<std::uint8_t>(sum >> 8), lo = static_cast<std::uint8_t>(sum);
  const std::size_t n = data.size();
  const std::uint8_t* const end = s.bytes.data() + std::min(s.position, s.bytes.size());
  // memmem: linear and not coverage-instrumented, unlike std::search compiled into the target.
  for (const std::uint8_t* at = s.bytes.data(); at < end;) {
    const auto* found = static_cast<const std::uint8_t*>(::memmem(at, static_cast<std::size_t>(end - at), data.data(), n));
    if (found == nullptr || static_cast<std::size_t>(end - found) < n + 2) return false;
    if (found[n] == hi && found[n + 1] == lo) return true;
    at = found + 1;
  }
  return false;
}

}  // namespace mtkfs::fuzz
