#include "partition/pmt.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "partition/hex.h"
#include "partition/little_endian.h"

namespace mtkfs::partition {
namespace {

using detail::hex;
using detail::le32;
using detail::le64;

struct RecordLayout {
  std::size_t stride;
  bool wide;  // u64 fields (else u32)
  std::size_t size_offset;
  std::size_t offset_offset;
};

// Tried in this order (docs/protocol/partitions.md §4.2): the most common 0x58 first.
constexpr std::array<RecordLayout, 3> kLayouts = {{
    {0x58, true, 64, 72},  // name, size, offset, mask_flags
    {0x60, true, 64, 80},  // name, size, part_id/region, offset, mask_flags
    {0x4C, false, 64, 68}, // name, size u32, offset u32, mask_flags u32
}};

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// Zero padding after the NUL is what makes the stride guess reliable: read with the wrong stride,
// a "name" field runs into the neighbouring record's binary fields.
std::optional<std::string> record_name(std::span<const std::uint8_t> field) {
  const auto nul = std::find(field.begin(), field.end(), std::uint8_t{0});
  if (nul == field.begin() || nul == field.end()) return std::nullopt;
  if (!std::all_of(field.begin(), nul, [](std::uint8_t c) { return c >= 0x20 && c <= 0x7E; })) return std::nullopt;
  if (!all_zero({nul, field.end()})) return std::nullopt;
  return std::string(field.begin(), nul);
}

Parsed<std::vector<PmtRecord>> parse_with_layout(std::span<const std::uint8_t> area, const RecordLayout& layout,
                                                 std::uint64_t region_size) {
  using R = Parsed<std::vector<PmtRecord>>;
  std::vector<PmtRecord> records;
  std::uint64_t previous_offset = 0;
  for (std::size_t index = 0; index < kPmtMaxRecords; ++index) {
    const std::size_t pos = index * layout.stride;
    if (pos > area.size() || area.size() - pos < layout.stride) break;
    const auto raw = area.subspan(pos, layout.stride);
    const auto name_field = raw.first(kPmtNameBytes);
    if (all_zero(name_field)) break;
    const std::string where = "record " + std::to_string(index);
    auto name = record_name(name_field);
    if (!name) return R::fail(where + " has no printable NUL-padded name");
    PmtRecord record;
    record.name = std::move(*name);
    record.size = layout.wide ? le64(raw, layout.size_offset) : le32(raw, layout.size_offset);
    record.offset = layout.wide ? le64(raw, layout.offset_offset) : le32(raw, layout.offset_offset);
    if (record.size % kSectorSize != 0 || record.offset % kSectorSize != 0)
      return R::fail(where + " '" + record.name + "' is not 512-byte aligned");
    if (record.offset >= region_size) return R::fail(where + " '" + record.name + "' starts outside the region");
    if (record.offset < previous_offset) return R::fail(where + " '" + record.name + "' goes backwards");
    previous_offset = record.offset;
    records.push_back(std::move(record));
  }
  // A one-record "table" fits almost any stride by accident, and names nothing useful anyway.
  if (records.size() < kPmtMinRecords) return R::fail("fewer than " + std::to_string(kPmtMinRecords) + " records");
  return R{std::move(records), {}};
}

bool has_v1_version(std::span<const std::uint8_t> copy) {
  static constexpr char k10[4] = {'1', '.', '0', '\0'};
  static constexpr char k11[4] = {'1', '.', '1', '\0'};
  if (copy.size() < 8) return false;
  return std::memcmp(copy.data() + 4, k10, 4) == 0 || std::memcmp(copy.data() + 4, k11, 4) == 0;
}

struct CopyResult {
  Parsed<Pmt> pmt;
  std::size_t region_size = 0;  // of the detected layout, to locate the mirror
};

// One copy of the table starting at `copy[0]`.
CopyResult parse_copy(std::span<const std::uint8_t> copy, bool mirror, std::uint64_t region_size) {
  const std::uint32_t signature = le32(copy, 0);
  const bool signature_ok =
      copy.size() >= 8 && (signature == kPmtSignature || (mirror && signature == kPmtMirrorSignature));
  if (!signature_ok) return {Parsed<Pmt>::fail("no signature"), 0};

  const bool v1 = has_v1_version(copy);
  const std::size_t table_size = v1 ? kPmtV1RegionSize : kPmtLegacyRegionSize;
  if (copy.size() < table_size) return {Parsed<Pmt>::fail("table truncated"), table_size};
  const std::size_t records_offset = v1 ? 8 : 4;
  // The last u32 of the region holds the tail signature, never records.
  const auto area = detail::clipped(copy, records_offset, table_size - records_offset - 4);
  auto records = parse_pmt_records(area, region_size);
  if (!records) return {Parsed<Pmt>::fail(records.error), table_size};
  Pmt pmt;
  pmt.table = std::move(*records.value);
  pmt.version = v1 ? std::string(reinterpret_cast<const char*>(copy.data()) + 4, 3) : std::string();
  pmt.from_mirror = mirror;
  pmt.copy_size = table_size;
  return {Parsed<Pmt>{std::move(pmt), {}}, table_size};
}

}  // namespace

Parsed<PmtRecords> parse_pmt_records(std::span<const std::uint8_t> records, std::uint64_t region_size) {
  std::string errors;
  for (const RecordLayout& layout : kLayouts) {
    auto parsed = parse_with_layout(records, layout, region_size);
    if (parsed) return Parsed<PmtRecords>{PmtRecords{std::move(*parsed.value), layout.stride}, {}};
    errors += (errors.empty() ? "stride " : "; stride ") + hex(layout.stride) + ": " + parsed.error;
  }
  return Parsed<PmtRecords>::fail(errors);
}

Parsed<Pmt> parse_pmt(std::span<const std::uint8_t> window, std::uint64_t region_size,
                      std::vector<std::string>& warnings) {
  auto primary = parse_copy(window, false, region_size);
  if (primary.pmt) return std::move(primary.pmt);

  // A recognised primary tells where its mirror is; otherwise try both places.
  std::vector<std::size_t> mirror_offsets;
  if (primary.region_size != 0)
    mirror_offsets = {primary.region_size};
  else
    mirror_offsets = {kPmtV1RegionSize, kPmtLegacyRegionSize};
  std::string mirror_errors;
  for (const std::size_t offset : mirror_offsets) {
    auto mirror = parse_copy(detail::clipped(window, offset, kPmtV1RegionSize), true, region_size);
    if (mirror.pmt) {
      warnings.push_back("PMT primary unusable (" + primary.pmt.error + "); names from the mirror at +" + hex(offset));
      return std::move(mirror.pmt);
    }
    mirror_errors += (mirror_errors.empty() ? "" : "; ") + ("+" + hex(offset) + ": " + mirror.pmt.error);
  }
  return Parsed<Pmt>::fail("PMT primary: " + primary.pmt.error + "; mirror " + mirror_errors);
}

bool pmt_signature_present(std::span<const std::uint8_t> window) {
  if (le32(window, 0) == kPmtSignature) return true;
  for (const std::size_t offset : {kPmtV1RegionSize, kPmtLegacyRegionSize}) {
    const std::uint32_t signature = le32(window, offset);
    if (signature == kPmtSignature || signature == kPmtMirrorSignature) return true;
  }
  return false;
}

namespace {

ByteRange area_at_end(std::uint64_t region_size, std::uint64_t length) {
  if (region_size < kPmtDistanceFromEnd) return {};
  const std::uint64_t start = region_size - kPmtDistanceFromEnd;
  return {start, std::min(length, region_size - start)};
}

std::string describe(const Extent& extent) {
  std::string out = "p" + std::to_string(extent.number);
  if (!extent.label.empty()) out += " (" + extent.label + ")";
  return out;
}

std::string size_and_end(std::uint64_t offset, std::uint64_t size) {
  return hex(size) + " bytes, ending at " + hex(offset + size);
}

}  // namespace

ByteRange pmt_area(const Pmt& pmt, std::uint64_t region_size) {
  return area_at_end(region_size, 2 * std::uint64_t{pmt.copy_size});
}

ByteRange pmt_window_area(std::uint64_t region_size) { return area_at_end(region_size, kPmtWindowSize); }

void bound_by_pmt(std::vector<MbrPartition>& partitions, const std::vector<PmtRecord>& records, ByteRange pmt,
                  std::vector<std::string>& warnings) {
  for (MbrPartition& partition : partitions) {
    Extent& extent = partition.extent;
    std::uint64_t bound = 0;  // the smallest non-zero size of a record with the same start
    for (const PmtRecord& record : records)
      if (record.offset == extent.offset && record.size != 0 && (bound == 0 || record.size < bound))
        bound = record.size;
    if (bound != 0 && bound < extent.size) {
      warnings.push_back(describe(extent) + " at " + hex(extent.offset) + ": the MBR/EBR gives " +
                         size_and_end(extent.offset, extent.size) + ", its PMT record " +
                         size_and_end(extent.offset, bound) + "; bounded by the PMT record");
      extent.size = bound;
    }
  }
  if (pmt.size == 0) return;
  std::erase_if(partitions, [&](MbrPartition& partition) {
    Extent& extent = partition.extent;
    if (extent.offset >= pmt.end() || extent.offset + extent.size <= pmt.offset) return false;
    const std::string where = "the PMT and its mirror (" + hex(pmt.offset) + ".." + hex(pmt.end()) + ")";
    // Whole sectors only: the table need not start on one when the region size is not a multiple.
    const std::uint64_t size =
        extent.offset >= pmt.offset ? 0 : (pmt.offset - extent.offset) / kSectorSize * kSectorSize;
    if (size == 0) {
      warnings.push_back(describe(extent) + " at " + hex(extent.offset) + " (" + hex(extent.size) +
                         " bytes) starts inside " + where + "; dropped");
      return true;
    }
    warnings.push_back(describe(extent) + " at " + hex(extent.offset) + ": " +
                       size_and_end(extent.offset, extent.size) + " would cover " + where + "; cut to " +
                       size_and_end(extent.offset, size));
    extent.size = size;
    return false;
  });
}

void apply_pmt_names(std::vector<MbrPartition>& partitions, const std::vector<PmtRecord>& records,
                     std::vector<std::string>& warnings) {
  for (MbrPartition& partition : partitions) {
    const Extent& extent = partition.extent;
    const PmtRecord* same_start = nullptr;
    const PmtRecord* match = nullptr;
    for (const PmtRecord& record : records) {
      if (record.offset != extent.offset) continue;
      if (same_start == nullptr) same_start = &record;
      if (partition.size_clamped || record.size == extent.size) {
        match = &record;
        break;
      }
    }
    if (match != nullptr) {
      partition.extent.label = match->name;
    } else if (same_start != nullptr) {
      warnings.push_back("p" + std::to_string(extent.number) + " starts where PMT record '" + same_start->name +
                         "' does but is " + hex(extent.size) + " bytes, not " + hex(same_start->size) +
                         "; not named from the PMT");
    }
  }
}

}  // namespace mtkfs::partition
