// The minimal synthetic DA file of docs/protocol/da-file.md §5 (0x4400 bytes, one 0xDC entry for hw
// code 0x8590, stage 1 = region 1, stage 2 = region 2), for seeds and for fuzz_da_replies' Device mode.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace mtkfs::fuzz {

inline std::vector<std::uint8_t> synthetic_da_file() {
  std::vector<std::uint8_t> f(0x4400, 0);
  const auto put = [&](std::size_t at, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) f[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  const auto text = [&](std::size_t at, std::string_view s) { std::memcpy(&f[at], s.data(), s.size()); };
  text(0x00, "MTK_DOWNLOAD_AGENT");
  text(0x20, "MTKFS_FUZZ_DA_v1 legacy MT8590");
  put(0x60, 4, 4);
  put(0x64, 0x22668899, 4);
  put(0x68, 1, 4);
  constexpr std::size_t e = 0x6C;
  put(e + 0x00, 0xDADA, 2);
  put(e + 0x02, 0x8590, 2);
  put(e + 0x06, 0xCA00, 2);
  put(e + 0x12, 3, 2);
  struct Region {
    std::uint32_t offset, length, address, sig_offset, sig_length;
  };
  const Region regions[3] = {{0x1000, 0x200, 0x80010000, 0x200, 0},
                             {0x1200, 0x1100, 0x00200000, 0x1000, 0x100},
                             {0x2300, 0x2100, 0x80000000, 0x2000, 0x100}};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::size_t r = e + 0x14 + 20 * i;
    put(r, regions[i].offset, 4);
    put(r + 4, regions[i].length, 4);
    put(r + 8, regions[i].address, 4);
    put(r + 12, regions[i].sig_offset, 4);
    put(r + 16, regions[i].sig_length, 4);
    text(regions[i].offset, i == 1 ? "MTKFS-FUZZ DA1" : i == 2 ? "MTKFS-FUZZ DA2" : "MTKFS-FUZZ DA0");
    std::memset(&f[regions[i].offset + regions[i].sig_offset], 0xEE, regions[i].sig_length);
  }
  return f;
}

}  // namespace mtkfs::fuzz
