#include "partition/gpt.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "partition/hex.h"
#include "partition/little_endian.h"
#include "partition/names.h"

namespace mtkfs::partition {
namespace {

using detail::hex;
using detail::le32;
using detail::le64;

constexpr char kSignature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};
constexpr std::size_t kHeaderCrcOffset = 0x10;

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
  // Sizes here are bounded (<= 1 MiB), so one zlib call with a uInt length is safe.
  return static_cast<std::uint32_t>(::crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

Parsed<GptHeader> parse_gpt_header(std::span<const std::uint8_t> sector, std::uint64_t expected_lba,
                                   std::uint64_t region_size) {
  using R = Parsed<GptHeader>;
  if (sector.size() < kSectorSize) return R::fail("short header sector");
  if (std::memcmp(sector.data(), kSignature, sizeof kSignature) != 0) return R::fail("no 'EFI PART' signature");

  GptHeader h;
  h.header_size = le32(sector, 0x0C);
  if (h.header_size < kGptMinHeaderSize || h.header_size > kSectorSize)
    return R::fail("header size " + std::to_string(h.header_size) + " outside 92..512");

  std::array<std::uint8_t, kSectorSize> copy{};
  std::copy_n(sector.begin(), h.header_size, copy.begin());
  std::fill_n(copy.begin() + kHeaderCrcOffset, 4, 0);
  const std::uint32_t stored_crc = le32(sector, kHeaderCrcOffset);
  const std::uint32_t actual_crc = crc32_of(std::span(copy).first(h.header_size));
  if (stored_crc != actual_crc) return R::fail("header CRC mismatch (stored " + hex(stored_crc) + ", computed " + hex(actual_crc) + ")");

  h.current_lba = le64(sector, 0x18);
  h.backup_lba = le64(sector, 0x20);
  h.first_usable_lba = le64(sector, 0x28);
  h.last_usable_lba = le64(sector, 0x30);
  h.entries_lba = le64(sector, 0x48);
  h.entry_count = le32(sector, 0x50);
  h.entry_size = le32(sector, 0x54);
  h.entries_crc32 = le32(sector, 0x58);

  if (h.current_lba != expected_lba)
    return R::fail("header claims LBA " + hex(h.current_lba) + " but was read at LBA " + hex(expected_lba));
  if (h.first_usable_lba > h.last_usable_lba) return R::fail("first usable LBA after last usable LBA");
  if (h.entry_size < 128 || h.entry_size > kGptMaxEntrySize || h.entry_size % 128 != 0)
    return R::fail("entry size " + std::to_string(h.entry_size) + " is not a multiple of 128 in 128..1024");
  if (h.entry_count == 0 || h.entry_count > kGptMaxEntryCount)
    return R::fail("entry count " + std::to_string(h.entry_count) + " outside 1..1024");

  const std::uint64_t region_sectors = region_size / kSectorSize;
  if (h.entries_lba >= region_sectors || h.entries_bytes() > (region_sectors - h.entries_lba) * kSectorSize)
    return R::fail("entry array at LBA " + hex(h.entries_lba) + " does not fit in the region");
  return R{h, {}};
}

Parsed<std::vector<Extent>> parse_gpt_entries(std::span<const std::uint8_t> entry_array, const GptHeader& header,
                                              std::uint64_t region_size, std::vector<std::string>& warnings) {
  using R = Parsed<std::vector<Extent>>;
  if (entry_array.size() < header.entries_bytes()) return R::fail("entry array shorter than the header says");
  entry_array = entry_array.first(header.entries_bytes());
  const std::uint32_t actual_crc = crc32_of(entry_array);
  if (actual_crc != header.entries_crc32)
    return R::fail("entry array CRC mismatch (stored " + hex(header.entries_crc32) + ", computed " + hex(actual_crc) + ")");

  const std::uint64_t region_sectors = region_size / kSectorSize;
  std::vector<Extent> extents;
  for (std::uint32_t index = 0; index < header.entry_count; ++index) {
    const auto entry = entry_array.subspan(std::size_t{index} * header.entry_size, header.entry_size);
    if (all_zero(entry.first(16))) continue;  // unused slot
    const int number = static_cast<int>(index) + 1;
    const std::uint64_t first = le64(entry, 0x20);
    const std::uint64_t last = le64(entry, 0x28);  // inclusive
    const std::string label = utf16le_to_utf8(entry.subspan(kGptEntryNameOffset, kGptEntryNameBytes));
    const std::string what = "GPT entry " + std::to_string(number) + " '" + label + "'";
    if (last < first) {
      warnings.push_back(what + " ends (LBA " + hex(last) + ") before it starts (LBA " + hex(first) + "); dropped");
      continue;
    }
    // Like the kernel's is_pte_valid: a GPT entry reaching past the end is corrupt, not truncated.
    if (last >= region_sectors) {
      warnings.push_back(what + " (LBA " + hex(first) + ".." + hex(last) + ") lies outside the region of " +
                         hex(region_sectors) + " sectors; dropped");
      continue;
    }
    extents.push_back(Extent{"", label, first * kSectorSize, (last - first + 1) * kSectorSize, number});
  }
  return R{std::move(extents), {}};
}

namespace {

// One GPT copy: header at `header_lba` (sector bytes already read), entries where it points.
Parsed<std::vector<Extent>> try_gpt_copy(const ReadFn& read, std::uint64_t region_size,
                                         std::span<const std::uint8_t> header_sector, std::uint64_t header_lba,
                                         std::vector<std::string>& warnings) {
  using R = Parsed<std::vector<Extent>>;
  const auto header = parse_gpt_header(header_sector, header_lba, region_size);
  if (!header) return R::fail(header.error);
  std::vector<std::uint8_t> array(header.value->entries_bytes());
  read(header.value->entries_lba * kSectorSize, array);
  // Entry warnings only count for the copy actually used.
  std::vector<std::string> entry_warnings;
  auto extents = parse_gpt_entries(array, *header.value, region_size, entry_warnings);
  if (extents) warnings.insert(warnings.end(), entry_warnings.begin(), entry_warnings.end());
  return extents;
}

}  // namespace

Parsed<std::vector<Extent>> read_gpt(const ReadFn& read, std::uint64_t region_size,
                                     std::span<const std::uint8_t> primary_header_sector,
                                     std::vector<std::string>& warnings) {
  using R = Parsed<std::vector<Extent>>;
  auto primary = try_gpt_copy(read, region_size, primary_header_sector, 1, warnings);
  if (primary) return primary;

  const std::uint64_t region_sectors = region_size / kSectorSize;
  if (region_sectors < 3) return R::fail("primary GPT invalid (" + primary.error + "); region too small for a backup");
  const std::uint64_t backup_lba = region_sectors - 1;
  std::array<std::uint8_t, kSectorSize> backup_sector{};
  read(backup_lba * kSectorSize, backup_sector);
  auto backup = try_gpt_copy(read, region_size, backup_sector, backup_lba, warnings);
  if (!backup)
    return R::fail("primary GPT invalid (" + primary.error + "); backup GPT at LBA " + hex(backup_lba) +
                   " invalid (" + backup.error + ")");
  warnings.push_back("primary GPT invalid (" + primary.error + "); using the backup GPT at LBA " + hex(backup_lba));
  return backup;
}

}  // namespace mtkfs::partition
