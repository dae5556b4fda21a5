// The Download Agent container (MTK_AllInOne_DA*.bin, docs/protocol/da-file.md): parsing and entry
// selection. Parsing is a pure function over bytes so it can be fuzzed; load_da_file() only adds file I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mtkfs::da {

struct DaRegion {
  std::uint32_t file_offset = 0;
  std::uint32_t length = 0;  // includes the trailing signature
  std::uint32_t load_address = 0;
  std::uint32_t signature_offset = 0;
  std::uint32_t signature_length = 0;
};

struct DaEntry {
  std::size_t index = 0;  // position in the file's entry table
  std::uint16_t magic = 0;
  std::uint16_t hw_code = 0;
  std::uint16_t hw_sub_code = 0;
  std::uint16_t hw_ver = 0;  // minimum device hw version
  std::uint16_t sw_ver = 0;  // minimum device sw version (always 0 in 0xD8 entries)
  std::uint16_t entry_region_index = 0;
  std::uint16_t region_count = 0;
  std::vector<DaRegion> regions;  // region_count records (at most 10)
  // Why this entry cannot be used (a region outside the file, ...); empty when usable.
  // Kept per entry so that one broken entry for another chip does not reject the whole file.
  std::string problem;
};

struct DaFile {
  std::string name;  // for messages: the path, or what the caller called the bytes
  std::string identifier;
  std::string description;
  std::uint32_t info_version = 0;
  std::uint32_t info_magic = 0;
  std::size_t entry_size = 0;  // 0xDC, or 0xD8 for "old" files
  std::vector<DaEntry> entries;
  std::vector<std::string> warnings;  // tolerated oddities (version, magic), for the log
  std::vector<std::uint8_t> data;     // the whole file; selections point into it
};

struct DaSelection {
  DaEntry entry;
  DaRegion stage1;                             // region[1], uploaded with SEND_DA
  DaRegion stage2;                             // region[2], uploaded to DA1
  std::span<const std::uint8_t> stage1_image;  // views into DaFile::data
  std::span<const std::uint8_t> stage2_image;
  // Set when the C tool's rule (first signed region at or after entry_region_index,
  // docs/protocol/da-file.md §4) would upload other regions, or would reject these; mtkfs
  // follows mtkclient's rule.
  std::optional<std::string> rule_disagreement;
};

inline constexpr std::size_t kDaHeaderSize = 0x6C;
inline constexpr std::size_t kDaEntrySize = 0xDC;
inline constexpr std::size_t kDaOldEntrySize = 0xD8;
inline constexpr std::size_t kDaRegionSize = 20;
inline constexpr std::size_t kDaMaxRegions = 10;
inline constexpr std::uint16_t kDaEntryMagic = 0xDADA;
inline constexpr std::uint32_t kDaInfoVersion = 4;
inline constexpr std::uint32_t kDaInfoMagic = 0x22668899;

// Throws DaFileError naming `name` and what was expected and found.
DaFile parse_da_file(std::span<const std::uint8_t> bytes, std::string name = "(in memory)");

// Reads and parses `path`; a missing or unreadable file is a DaFileError too.
DaFile load_da_file(const std::filesystem::path& path);

// First entry for `hw_code` whose minimum hw/sw versions the device meets
// (docs/protocol/da-file.md §3); a device version 0 matches any entry. Throws DaFileError when
// there is none or it is unusable. The returned spans point into `file.data`: keep `file` alive while using them.
DaSelection select_da_entry(const DaFile& file, std::uint16_t hw_code, std::uint16_t hw_ver,
                            std::uint16_t sw_ver);

}  // namespace mtkfs::da
