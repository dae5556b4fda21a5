// Input format of fuzz_da_replies, shared by the target and the seed generator.
//
//   [0]       mode (see fuzz_da_replies.cpp)
//   [1]       timeouts after the end of the device stream (low 3 bits), then disconnected
//   [2]       1-based index of the host write that fails (0 = none); [3] bit 0: it disconnects
//   [4..19]   16 parameter bytes for the mode (operations, sizes, versions)
//   [20]      event count n (at most 64 are used)
//   n x 3     events: [kind: bit 0 = discard mark, else gap][u16 LE position in the stream]
//   rest      the device -> host byte stream
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tests/fuzz/fuzz_transport.h"

namespace mtkfs::fuzz::replies_input {

inline constexpr std::size_t kParamCount = 16;
inline constexpr std::size_t kMaxEvents = 64;
inline constexpr std::size_t kFixedHeader = 21;

struct Input {
  std::uint8_t mode = 0;
  std::array<std::uint8_t, kParamCount> params{};
  std::shared_ptr<DeviceStream> stream = std::make_shared<DeviceStream>();
};

inline Input decode(std::span<const std::uint8_t> in) {
  Input out;
  if (in.size() < kFixedHeader) return out;
  out.mode = in[0];
  out.stream->timeouts_at_end = in[1] & 7;
  out.stream->write_failure_at = in[2];
  out.stream->write_failure_disconnects = in[3] & 1;
  for (std::size_t i = 0; i < kParamCount; ++i) out.params[i] = in[4 + i];
  const std::size_t declared = in[20];
  std::size_t at = kFixedHeader;
  for (std::size_t i = 0; i < declared && at + 3 <= in.size(); ++i, at += 3) {
    if (i >= kMaxEvents) continue;
    const auto kind = (in[at] & 1) ? DeviceStream::EventKind::discard : DeviceStream::EventKind::gap;
    out.stream->events.push_back({kind, static_cast<std::size_t>(in[at + 1] | (in[at + 2] << 8))});
  }
  out.stream->sort_events();
  out.stream->bytes.assign(in.begin() + static_cast<std::ptrdiff_t>(std::min(at, in.size())), in.end());
  return out;
}

// Seed generator side.
struct Encoder {
  std::uint8_t mode = 0;
  std::uint8_t timeouts_at_end = 2;
  std::array<std::uint8_t, kParamCount> params{};
  std::vector<std::pair<bool, std::uint16_t>> events;  // (discard mark?, position)
  std::vector<std::uint8_t> stream;

  void gap() { events.push_back({false, static_cast<std::uint16_t>(stream.size())}); }
  void discard_mark() { events.push_back({true, static_cast<std::uint16_t>(stream.size())}); }
  void bytes(std::span<const std::uint8_t> b) { stream.insert(stream.end(), b.begin(), b.end()); }
  void u8(std::uint8_t v) { stream.push_back(v); }
  void be(std::uint64_t v, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) stream.push_back(static_cast<std::uint8_t>(v >> shift));
  }

  std::vector<std::uint8_t> encode() const {
    std::vector<std::uint8_t> out{mode, timeouts_at_end, 0, 0};
    out.insert(out.end(), params.begin(), params.end());
    out.push_back(static_cast<std::uint8_t>(events.size()));
    for (const auto& [discard, position] : events) {
      out.push_back(discard ? 1 : 0);
      out.push_back(static_cast<std::uint8_t>(position));
      out.push_back(static_cast<std::uint8_t>(position >> 8));
    }
    out.insert(out.end(), stream.begin(), stream.end());
    return out;
  }
};

}  // namespace mtkfs::fuzz::replies_input
