// The synthetic DA file of docs/protocol/da-file.md §5, built byte by byte from the spec's tables,
// plus the knobs tests need to break it in specific ways.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mtkfs::testing {

struct SyntheticRegion {
  std::uint32_t offset, length, load_address, sig_offset, sig_length;
};

struct SyntheticEntry {
  std::uint16_t magic = 0xDADA;
  std::uint16_t hw_code = 0x8590;
  std::uint16_t hw_sub_code = 0;
  std::uint16_t hw_ver = 0xCA00;
  std::uint16_t sw_ver = 0;
  std::uint16_t entry_region_index = 0;
  std::vector<SyntheticRegion> regions = {
      {0x1000, 0x200, 0x80010000, 0x200, 0},
      {0x1200, 0x1100, 0x00200000, 0x1000, 0x100},
      {0x2300, 0x2100, 0x80000000, 0x2000, 0x100},
  };
};

struct SyntheticDa {
  std::string description = "MTKFS_SIM_DA_v1 legacy MT8590";
  std::uint32_t info_version = 4;
  std::uint32_t info_magic = 0x22668899;
  std::vector<SyntheticEntry> entries = {SyntheticEntry{}};
  bool old_entries = false;  // 0xD8-byte entries (no sw_ver, docs/protocol/da-file.md §2.1)
  std::size_t file_size = 0x4400;
};

// Header, entries, then region payloads: each region's body is a tag followed by a byte pattern,
// its signature area is filled with 0xEE. Regions that do not fit in file_size are left out.
std::vector<std::uint8_t> build_da_file(const SyntheticDa& spec = {});

void put_le16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v);
void put_le32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v);

}  // namespace mtkfs::testing
