// GPT as in docs/protocol/partitions.md §2: protective MBR, primary header + entries, backup at the
// end.
#include <zlib.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "sim/image/byte_order.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image::detail {
namespace {

constexpr std::uint32_t kEntryCount = 128;
constexpr std::uint32_t kEntrySize = 128;
constexpr std::uint64_t kEntrySectors = kEntryCount * kEntrySize / kSector;  // 32
constexpr std::uint32_t kHeaderSize = 92;
constexpr std::size_t kNameUnits = 36;

// Linux filesystem data; every MediaTek partition is "just data" to the host.
constexpr const char* kTypeGuid = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
// Deterministic identities ("MTKF" "SIM" ...) so images are reproducible byte for byte.
constexpr const char* kDiskGuid = "4D544B46-5349-4D00-8000-000000000000";

using Guid = std::array<std::uint8_t, 16>;

// GUID text -> on-disk bytes: the first three groups are stored little-endian.
Guid guid_bytes(const std::string& text) {
  std::array<std::uint8_t, 16> raw{};
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size() && n < raw.size(); ++i) {
    if (text[i] == '-') continue;
    raw[n++] = static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16));
    ++i;
  }
  if (n != raw.size()) throw std::logic_error("malformed GUID " + text);
  Guid g = raw;
  for (int i = 0; i < 4; ++i) g[i] = raw[3 - i];
  g[4] = raw[5], g[5] = raw[4], g[6] = raw[7], g[7] = raw[6];
  return g;
}

std::string partition_guid(std::size_t index) {
  char text[40];
  std::snprintf(text, sizeof text, "4D544B46-5349-4D00-8000-%012zX", index + 1);
  return text;
}

std::uint32_t crc32_of(std::span<const std::uint8_t> data) {
  return static_cast<std::uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

std::vector<std::uint8_t> entry_array(const std::vector<PartitionSpec>& table) {
  if (table.size() > kEntryCount) throw std::logic_error("too many GPT partitions");
  std::vector<std::uint8_t> entries(kEntryCount * kEntrySize, 0);
  std::span<std::uint8_t> buf(entries);
  const Guid type = guid_bytes(kTypeGuid);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& p = table[i];
    if (p.name.size() > kNameUnits) throw std::logic_error("GPT name too long: " + p.name);
    const std::size_t base = i * kEntrySize;
    put_bytes(buf, base + 0x00, type);
    put_bytes(buf, base + 0x10, guid_bytes(partition_guid(i)));
    put_le64(buf, base + 0x20, p.offset / kSector);
    put_le64(buf, base + 0x28, (p.offset + p.size) / kSector - 1);  // inclusive
    put_le64(buf, base + 0x30, 0);
    for (std::size_t c = 0; c < p.name.size(); ++c)
      put_le16(buf, base + 0x38 + 2 * c, static_cast<std::uint8_t>(p.name[c]));  // UTF-16LE
  }
  return entries;
}

std::array<std::uint8_t, kSector> header_sector(std::uint64_t current, std::uint64_t backup,
                                                std::uint64_t entries_lba, std::uint64_t total_sectors,
                                                std::uint32_t entries_crc) {
  std::array<std::uint8_t, kSector> sector{};
  std::span<std::uint8_t> h(sector);
  put_text(h, 0x00, "EFI PART");
  put_le32(h, 0x08, 0x00010000);
  put_le32(h, 0x0C, kHeaderSize);
  put_le64(h, 0x18, current);
  put_le64(h, 0x20, backup);
  put_le64(h, 0x28, 2 + kEntrySectors);                      // first usable LBA (34)
  put_le64(h, 0x30, total_sectors - 2 - kEntrySectors);      // last usable LBA
  put_bytes(h, 0x38, guid_bytes(kDiskGuid));
  put_le64(h, 0x48, entries_lba);
  put_le32(h, 0x50, kEntryCount);
  put_le32(h, 0x54, kEntrySize);
  put_le32(h, 0x58, entries_crc);
  put_le32(h, 0x10, crc32_of(h.first(kHeaderSize)));  // computed with its own field still zero
  return sector;
}

std::array<std::uint8_t, kSector> protective_mbr(std::uint64_t total_sectors) {
  std::array<std::uint8_t, kSector> mbr{};
  std::span<std::uint8_t> m(mbr);
  const std::size_t e = 0x1BE;
  put_bytes(m, e + 1, std::array<std::uint8_t, 3>{0x00, 0x02, 0x00});  // CHS 0/0/2 = LBA 1
  m[e + 4] = 0xEE;
  put_bytes(m, e + 5, std::array<std::uint8_t, 3>{0xFF, 0xFF, 0xFF});
  put_le32(m, e + 8, 1);
  put_le32(m, e + 12, static_cast<std::uint32_t>(std::min<std::uint64_t>(total_sectors - 1, 0xFFFFFFFF)));
  m[0x1FE] = 0x55;
  m[0x1FF] = 0xAA;
  return mbr;
}

}  // namespace

void write_gpt(DiskFile& user, const std::vector<PartitionSpec>& table) {
  const std::uint64_t total = user.size() / kSector;
  const std::uint64_t first_usable = 2 + kEntrySectors, last_usable = total - 2 - kEntrySectors;
  for (const auto& p : table)
    if (p.offset % kSector || p.size % kSector || p.size == 0 || p.offset / kSector < first_usable ||
        (p.offset + p.size) / kSector - 1 > last_usable)
      throw std::logic_error("GPT partition " + p.name + " outside the usable area");

  const auto entries = entry_array(table);
  const std::uint32_t entries_crc = crc32_of(entries);
  const std::uint64_t backup_entries_lba = total - 1 - kEntrySectors;
  user.write_at(0, protective_mbr(total));
  user.write_at(1 * kSector, header_sector(1, total - 1, 2, total, entries_crc));
  user.write_at(2 * kSector, entries);
  user.write_at(backup_entries_lba * kSector, entries);
  user.write_at((total - 1) * kSector, header_sector(total - 1, 1, backup_entries_lba, total, entries_crc));
}

}  // namespace mtkfs::sim::image::detail
