// Input format of fuzz_sim, shared by the target and the seed generator.
//
//   [0..5]  device configuration (decoded by fuzz_sim.cpp's config_from):
//           [0] bits 0-1 READY (0/3 default, 1 on, 2 off), 2 answer the first A0, 3 prefixed
//               trailer, 4 allow RPMB, 5 speed switch, 6 strict stage-2 config, 7 aligned I/O only
//           [1] bit 0 USB (else stream), bits 1-2 reset on host close (1 yes, 2 no, else default),
//               bits 3-4 unit fault (1 split, 2 merge), 5 no tool present, 6 check uploads
//               against the synthetic DA file, 7 no RPMB region
//           [2] low 4 bits: NAND id count of DA1's sync
//           [3] bits 0-6 mod 5: fault 1 corrupt D6 chunk [4], 2 drop the link after [4]*8+[5]
//               device bytes, 3 NACK command [4] ([5] mod 4 times), 4 re-enter the Preloader
//               after [4] mod 16 DA commands; bit 7: reply delay fault
//           [4] [5] fault parameters
//   then host writes until the input ends, each [L][bytes]:
//     L = 0x00        a pause: the host stays silent past any finite deadline (LISTEN's poll,
//                     the 300 ms handshake window, the 200 ms window after a D6 NACK)
//     L < 0xF0        L bytes
//     L >= 0xF0       (L - 0xEF) * 512 bytes (bulk data: 512 .. 8192)
//   A truncated last write keeps the bytes that are there. After the last write the host closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mtkfs::fuzz::sim_input {

inline constexpr std::size_t kConfigSize = 6;
// Region sizes of the simulated device (small: every run starts from fresh zeroed images).
inline constexpr std::uint64_t kBootSize = 64 << 10;  // boot1, boot2 and (unless disabled) rpmb
inline constexpr std::uint64_t kUserSize = 1 << 20;   // the PMT of A5 then starts at offset 0

struct HostWrite {
  bool pause = false;
  std::vector<std::uint8_t> bytes;
};

inline std::vector<HostWrite> decode_writes(std::span<const std::uint8_t> in) {
  std::vector<HostWrite> out;
  std::size_t at = kConfigSize;
  while (at < in.size()) {
    const std::uint8_t l = in[at++];
    if (l == 0) {
      out.push_back({true, {}});
      continue;
    }
    const std::size_t want = l < 0xF0 ? l : std::size_t{l - 0xEFu} * 512;
    const std::size_t n = std::min(want, in.size() - at);
    out.push_back({false, {in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n)}});
    at += n;
  }
  return out;
}

// Seed generator side: appends one host write, split into encodable pieces.
inline void append_write(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    std::size_t n;
    if (bytes.size() >= 512) {
      n = std::min<std::size_t>(bytes.size() / 512, 16) * 512;
      out.push_back(static_cast<std::uint8_t>(0xEF + n / 512));
    } else {
      n = std::min<std::size_t>(bytes.size(), 0xEF);
      out.push_back(static_cast<std::uint8_t>(n));
    }
    out.insert(out.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
  }
}

inline void append_pause(std::vector<std::uint8_t>& out) { out.push_back(0); }

}  // namespace mtkfs::fuzz::sim_input
