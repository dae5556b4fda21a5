// The one builder of the MTK_AllInOne_DA container (docs/protocol/da-file.md §2 and §5). With default
// options it produces exactly the file `mtkfs-sim make-da` writes (write_synthetic_da); the knobs let
// tests describe other entries, region layouts, the old 0xD8 entry size and broken files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/image/image.h"

namespace mtkfs::sim::image {

// One load-region record ({offset, len, addr, sig_offset, sig_len} of docs/protocol/da-file.md §2).
struct DaRegionSpec {
  std::uint32_t offset, length, load_address, sig_offset, sig_length;
};

// One entry of the entry table (docs/protocol/da-file.md §2); the defaults are the entry of
// docs/protocol/da-file.md §5 for the NW-A50.
struct DaEntrySpec {
  std::uint16_t magic = 0xDADA;
  std::uint16_t hw_code = 0x8590;
  std::uint16_t hw_sub_code = 0;
  std::uint16_t hw_ver = 0xCA00;  // <= the NW-A50's 0xCB01
  std::uint16_t sw_ver = 0;       // <= 0x0102; not stored in old 0xD8 entries
  std::uint16_t entry_region_index = 0;
  std::vector<DaRegionSpec> regions = {
      {0x1000, 0x200, 0x80010000, 0x200, 0},        // region 0
      {0x1200, 0x1100, 0x00200000, 0x1000, 0x100},  // DA1 (stage 1)
      {0x2300, 0x2100, 0x80000000, 0x2000, 0x100},  // DA2 (stage 2)
  };
};

// What the region bytes hold. Every style starts region r with `tag` followed by the digit r.
enum class DaPayload {
  // make-da: zero bodies; signatures filled with "MTKFS-SIM SIG<r>\0\0"; DA2 carries a sentence at
  // +0x40 and DA1 carries kDa2HashMarker + SHA-256 of DA2's body at +kDa2HashMarkerOffset (first entry).
  simulator,
  // Body byte i of region r (after the tag) is (i * 7 + r) & 0xFF; signatures are 0xEE.
  pattern,
  // Zero bodies; sig_length bytes of 0xEE at offset + sig_offset.
  tags_only,
  // No tags: every byte from file offset 0x1000 to the end is i * 7 + sweep_seed + (i >> 8)
  // (regions and the gaps between them alike).
  sweep,
};

struct SyntheticDaOptions {
  std::string description = "MTKFS_SIM_DA_v1 legacy MT8590";  // at most 64 bytes are stored
  std::uint32_t info_version = 4;
  std::uint32_t info_magic = 0x22668899;
  std::vector<DaEntrySpec> entries = {DaEntrySpec{}};
  bool old_entries = false;  // 0xD8-byte entries without sw_ver (docs/protocol/da-file.md §2.1) instead of 0xDC
  std::size_t file_size = kSyntheticDaSize;
  DaPayload payload = DaPayload::simulator;
  std::string tag = "MTKFS-SIM DA";
  std::uint8_t sweep_seed = 0;  // DaPayload::sweep only: another seed, other payload bytes
};

// Header, entry table, then the payload of every region of every entry that fits in file_size (the
// header and entries must fit). Region records are written as given, so they may describe a broken file.
std::vector<std::uint8_t> build_synthetic_da(const SyntheticDaOptions& options = {});

// The option sets the test suites build their files with (their checked-in data and expectations
// depend on these bytes):
// tests/da: tag "MTKFS-TEST DA", DaPayload::pattern.
SyntheticDaOptions protocol_test_da_options();
// tests/fuzz (corpus/ was generated from it): description "MTKFS_FUZZ_DA_v1 legacy MT8590",
// tag "MTKFS-FUZZ DA", DaPayload::tags_only.
SyntheticDaOptions fuzz_da_options();

}  // namespace mtkfs::sim::image
