// fuzz_partition, pure-parser half: each documented parser of partition/ on raw bytes, with its
// postconditions checked against an independent reading of the same bytes.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "partition/ext4_name.h"
#include "partition/gpt.h"
#include "partition/mbr.h"
#include "partition/names.h"
#include "partition/pmt.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/partition_input.h"
#include "tests/fuzz/text_checks.h"

namespace mtkfs::fuzz {
namespace {

namespace pt = mtkfs::partition;
using Bytes = std::span<const std::uint8_t>;
using partition_input::load_le;

std::uint32_t crc(Bytes b) { return static_cast<std::uint32_t>(::crc32(0L, b.data(), static_cast<uInt>(b.size()))); }

void check_extents(const std::vector<pt::Extent>& extents, std::uint64_t region, const char* where) {
  for (const pt::Extent& e : extents) {
    const std::string what = std::string(where) + ": extent " + std::to_string(e.number) + " at " +
                             std::to_string(e.offset) + "+" + std::to_string(e.size) + " of " + std::to_string(region);
    FUZZ_CHECK(e.offset % pt::kSectorSize == 0 && e.size % pt::kSectorSize == 0 && e.size > 0, what);
    FUZZ_CHECK(e.offset <= region && e.size <= region - e.offset, what);
    FUZZ_CHECK(valid_utf8(e.label), what + ": label not UTF-8");
  }
}

// The header CRC is fixed up (CRC32 is out of a mutator's reach); everything else is raw.
void gpt(Bytes payload, std::uint64_t region, std::uint64_t lba) {
  std::vector<std::uint8_t> sector(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(payload.size(), 512)));
  const std::uint64_t header_size = load_le(sector, 0x0C, 4);
  if (sector.size() == 512 && header_size >= 92 && header_size <= 512) {
    std::memset(&sector[0x10], 0, 4);
    const std::uint32_t c = crc(Bytes(sector).first(header_size));
    for (int i = 0; i < 4; ++i) sector[0x10 + i] = static_cast<std::uint8_t>(c >> (8 * i));
  }
  const auto header = pt::parse_gpt_header(sector, lba, region);
  if (!header) {
    FUZZ_CHECK(!header.error.empty(), "rejection without a reason");
    note("GPT header: " + header.error);
    return;
  }
  const pt::GptHeader& h = *header.value;
  FUZZ_CHECK(std::memcmp(sector.data(), "EFI PART", 8) == 0, "accepted a header without signature");
  FUZZ_CHECK(h.header_size >= pt::kGptMinHeaderSize && h.header_size <= 512, "header size");
  FUZZ_CHECK(h.current_lba == lba, "header accepted at the wrong LBA");
  FUZZ_CHECK(h.entry_size >= 128 && h.entry_size <= pt::kGptMaxEntrySize && h.entry_size % 128 == 0, "entry size");
  FUZZ_CHECK(h.entry_count >= 1 && h.entry_count <= pt::kGptMaxEntryCount, "entry count");
  const std::uint64_t sectors = region / pt::kSectorSize;
  FUZZ_CHECK(h.entries_lba < sectors && h.entries_bytes() <= (sectors - h.entries_lba) * pt::kSectorSize,
             "entry array outside the region");

  // Entries: the rest of the payload, CRC made to match.
  std::vector<std::uint8_t> array(h.entries_bytes(), 0);
  const Bytes rest = payload.size() > 512 ? payload.subspan(512) : Bytes();
  std::copy_n(rest.begin(), std::min(rest.size(), array.size()), array.begin());
  pt::GptHeader fixed = h;
  fixed.entries_crc32 = crc(array);
  std::vector<std::string> warnings;
  const auto extents = pt::parse_gpt_entries(array, fixed, region, warnings);
  FUZZ_CHECK(extents.value.has_value(), "entries with a matching CRC rejected: " + extents.error);
  check_extents(*extents.value, region, "parse_gpt_entries");
  for (const pt::Extent& e : *extents.value)
    FUZZ_CHECK(e.number >= 1 && static_cast<std::uint32_t>(e.number) <= h.entry_count, "entry number");
  note("GPT: " + std::to_string(extents.value->size()) + " entries");
}

void mbr(Bytes payload) {
  const auto parsed = pt::parse_mbr_sector(payload);
  const bool signed_sector = payload.size() >= 512 && payload[0x1FE] == 0x55 && payload[0x1FF] == 0xAA;
  FUZZ_CHECK(parsed.value.has_value() == signed_sector, "55 AA decision differs");
  if (!parsed) return;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t at = 0x1BE + 16 * i;
    const pt::MbrEntry& e = (*parsed.value)[i];
    FUZZ_CHECK(e.status == payload[at] && e.type == payload[at + 4] && e.start_lba == load_le(payload, at + 8, 4) &&
                   e.sector_count == load_le(payload, at + 12, 4),
               "slot " + std::to_string(i) + " decoded wrongly");
  }
  const bool flags_ok = std::all_of(parsed.value->begin(), parsed.value->end(),
                                    [](const pt::MbrEntry& e) { return e.status == 0 || e.status == 0x80; });
  FUZZ_CHECK(pt::has_valid_boot_flags(*parsed.value) == flags_ok, "boot flag decision differs");
  note("MBR sector decoded");
}

void check_records(const pt::PmtRecords& table, std::uint64_t region) {
  FUZZ_CHECK(table.stride == 0x58 || table.stride == 0x60 || table.stride == 0x4C, "stride");
  FUZZ_CHECK(table.records.size() >= pt::kPmtMinRecords && table.records.size() <= pt::kPmtMaxRecords, "record count");
  std::uint64_t previous = 0;
  for (const pt::PmtRecord& r : table.records) {
    FUZZ_CHECK(!r.name.empty() && r.name.size() < pt::kPmtNameBytes, "record name length");
    FUZZ_CHECK(std::all_of(r.name.begin(), r.name.end(), [](char c) { return c >= 0x20 && c <= 0x7E; }),
               "unprintable record name");
    FUZZ_CHECK(r.offset % pt::kSectorSize == 0 && r.size % pt::kSectorSize == 0, "record alignment");
    FUZZ_CHECK(r.offset < region, "record outside the region");
    FUZZ_CHECK(r.offset >= previous, "record offsets decrease");
    previous = r.offset;
  }
}

void pmt(Bytes payload, std::uint64_t region) {
  std::vector<std::string> warnings;
  const auto parsed = pt::parse_pmt(payload, region, warnings);
  if (parsed) {
    check_records(parsed.value->table, region);
    const std::string& v = parsed.value->version;
    FUZZ_CHECK(v.empty() || v == "1.0" || v == "1.1", "version '" + v + "'");
    if (!parsed.value->from_mirror)
      FUZZ_CHECK(load_le(payload, 0, 4) == pt::kPmtSignature, "primary accepted without PTv1");
    FUZZ_CHECK(pt::pmt_signature_present(payload), "table accepted but no signature present");
    note("PMT " + v + (parsed.value->from_mirror ? " (mirror), " : ", ") + std::to_string(parsed.value->table.records.size()) + " records");
  } else {
    note("PMT: " + parsed.error);
  }
  const auto records = pt::parse_pmt_records(payload, region);
  if (records) check_records(*records.value, region);
}

std::size_t code_points(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void names(Bytes payload) {
  const std::string from_utf16 = pt::utf16le_to_utf8(payload);
  FUZZ_CHECK(valid_utf8(from_utf16), "utf16le_to_utf8 produced invalid UTF-8");
  FUZZ_CHECK(from_utf16.find('\0') == std::string::npos, "utf16le_to_utf8 kept a NUL");
  const std::string sanitized = pt::sanitize_utf8(payload);
  FUZZ_CHECK(valid_utf8(sanitized), "sanitize_utf8 produced invalid UTF-8");
  for (const std::string& label : {from_utf16, sanitized}) {
    const std::string safe = pt::safe_file_name(label);
    FUZZ_CHECK(safe.empty() == label.empty(), "safe_file_name emptiness");
    if (!safe.empty()) FUZZ_CHECK(safe_name(safe), "safe_file_name gave '" + safe + "'");
    FUZZ_CHECK(safe.size() == code_points(label), "safe_file_name is not one char per code point");
  }
  // Labels separated by NUL bytes, numbered from the byte after each label (duplicates allowed).
  std::vector<pt::Extent> extents;
  for (std::size_t at = 0; at < payload.size() && extents.size() < 64;) {
    const auto nul = std::find(payload.begin() + static_cast<std::ptrdiff_t>(at), payload.end(), std::uint8_t{0});
    const std::size_t end = static_cast<std::size_t>(nul - payload.begin());
    pt::Extent e;
    e.label = pt::sanitize_utf8(payload.subspan(at, end - at));
    e.number = end + 1 < payload.size() ? payload[end + 1] : 0;
    extents.push_back(e);
    at = end + 2;
  }
  pt::assign_file_names(extents);
  std::set<std::string> seen;
  for (const pt::Extent& e : extents) {
    FUZZ_CHECK(safe_name(e.name), "assign_file_names gave '" + e.name + "'");
    FUZZ_CHECK(seen.insert(e.name).second, "assign_file_names duplicated '" + e.name + "'");
  }
  const std::string ext4 = pt::ext4_name(payload);
  FUZZ_CHECK(valid_utf8(ext4) && ext4.find('\0') == std::string::npos, "ext4_name text");
  std::string names;
  for (const pt::Extent& e : extents) names += " " + e.name;
  note("names:" + names);
}

}  // namespace

void fuzz_partition_pure(std::uint8_t selector, std::uint64_t region_size, std::uint64_t lba, Bytes payload) {
  switch (selector % 4) {
    case 0: gpt(payload, region_size, lba); break;
    case 1: mbr(payload); break;
    case 2: pmt(payload, region_size); break;
    default: names(payload); break;
  }
}

}  // namespace mtkfs::fuzz
