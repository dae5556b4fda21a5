#pragma once

// Test-side writers for partition tables, written from the spec independently of the parser:
// a sparse in-memory disk plus byte-level MBR/EBR, GPT and PMT builders.

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "partition/partition_table.h"

namespace mtkfs::partition::test {

using Bytes = std::vector<std::uint8_t>;
using Sector = std::array<std::uint8_t, 512>;

inline void put_le(std::uint8_t* p, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
inline void put16(std::uint8_t* p, std::uint16_t v) { put_le(p, v, 2); }
inline void put32(std::uint8_t* p, std::uint32_t v) { put_le(p, v, 4); }
inline void put64(std::uint8_t* p, std::uint64_t v) { put_le(p, v, 8); }

inline std::uint32_t zlib_crc(const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
}

// A disk of `size` bytes where only written sectors take memory; everything else reads as zero.
// Reads outside the disk throw, so a parser that reads out of range fails the test.
class SparseDisk {
 public:
  explicit SparseDisk(std::uint64_t size) : size_(size) {}

  std::uint64_t size() const { return size_; }
  std::uint64_t sectors() const { return size_ / 512; }

  void write(std::uint64_t offset, std::span<const std::uint8_t> data) {
    check(offset, data.size());
    while (!data.empty()) {
      const std::size_t in_sector = offset % 512;
      const std::size_t n = std::min<std::size_t>(data.size(), 512 - in_sector);
      std::copy_n(data.begin(), n, sectors_[offset / 512].begin() + in_sector);
      data = data.subspan(n);
      offset += n;
    }
  }
  void write_sector(std::uint64_t lba, const Sector& sector) { write(lba * 512, sector); }

  std::uint8_t& byte(std::uint64_t offset) {
    check(offset, 1);
    return sectors_[offset / 512][offset % 512];
  }

  void read(std::uint64_t offset, std::span<std::uint8_t> out) {
    ++reads_;
    check(offset, out.size());
    while (!out.empty()) {
      const std::size_t in_sector = offset % 512;
      const std::size_t n = std::min<std::size_t>(out.size(), 512 - in_sector);
      const auto it = sectors_.find(offset / 512);
      if (it == sectors_.end())
        std::fill_n(out.begin(), n, 0);
      else
        std::copy_n(it->second.begin() + in_sector, n, out.begin());
      out = out.subspan(n);
      offset += n;
    }
  }

  ReadFn reader() {
    return [this](std::uint64_t offset, std::span<std::uint8_t> out) { read(offset, out); };
  }

  int reads() const { return reads_; }
  std::map<std::uint64_t, Sector>& raw_sectors() { return sectors_; }

 private:
  void check(std::uint64_t offset, std::size_t length) const {
    if (offset > size_ || size_ - offset < length)
      throw std::out_of_range("access outside the disk at " + std::to_string(offset) + "+" + std::to_string(length));
  }

  std::uint64_t size_;
  std::map<std::uint64_t, Sector> sectors_;
  int reads_ = 0;
};

// ---- MBR / EBR ----

struct RawMbrEntry {
  std::uint8_t type = 0;
  std::uint32_t start = 0;
  std::uint32_t count = 0;
  std::uint8_t status = 0;
};

inline Sector mbr_sector(const std::vector<RawMbrEntry>& entries) {
  Sector s{};
  for (std::size_t i = 0; i < entries.size() && i < 4; ++i) {
    std::uint8_t* e = s.data() + 0x1BE + 16 * i;
    e[0] = entries[i].status;
    e[4] = entries[i].type;
    put32(e + 8, entries[i].start);
    put32(e + 12, entries[i].count);
  }
  s[0x1FE] = 0x55;
  s[0x1FF] = 0xAA;
  return s;
}

// ---- GPT ----

using Guid = std::array<std::uint8_t, 16>;
inline const Guid kLinuxDataGuid = {0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
                                    0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4};

struct GptPart {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::u16string name;
  Guid type = kLinuxDataGuid;
  bool used = true;  // false: all-zero slot
};

struct GptHeaderFields {
  std::uint32_t header_size = 92;
  std::uint64_t current_lba = 1;
  std::uint64_t backup_lba = 0;
  std::uint64_t first_usable = 34;
  std::uint64_t last_usable = 0;
  std::uint64_t entries_lba = 2;
  std::uint32_t entry_count = 128;
  std::uint32_t entry_size = 128;
  std::uint32_t entries_crc = 0;
};

inline Bytes gpt_entry_array(const std::vector<GptPart>& parts, std::uint32_t count = 128, std::uint32_t size = 128) {
  Bytes array(std::size_t{count} * size, 0);
  for (std::size_t i = 0; i < parts.size() && i < count; ++i) {
    if (!parts[i].used) continue;
    std::uint8_t* e = array.data() + i * size;
    std::copy(parts[i].type.begin(), parts[i].type.end(), e);
    for (int k = 0; k < 16; ++k) e[16 + k] = static_cast<std::uint8_t>(0x10 + i + k);  // unique GUID
    put64(e + 32, parts[i].first);
    put64(e + 40, parts[i].last);
    for (std::size_t k = 0; k < parts[i].name.size() && k < 36; ++k) put16(e + 56 + 2 * k, parts[i].name[k]);
  }
  return array;
}

inline Sector gpt_header(const GptHeaderFields& f) {
  Sector s{};
  const char sig[] = "EFI PART";
  std::copy(sig, sig + 8, s.begin());
  put32(&s[0x08], 0x00010000);
  put32(&s[0x0C], f.header_size);
  put64(&s[0x18], f.current_lba);
  put64(&s[0x20], f.backup_lba);
  put64(&s[0x28], f.first_usable);
  put64(&s[0x30], f.last_usable);
  for (int k = 0; k < 16; ++k) s[0x38 + k] = static_cast<std::uint8_t>(0xA0 + k);
  put64(&s[0x48], f.entries_lba);
  put32(&s[0x50], f.entry_count);
  put32(&s[0x54], f.entry_size);
  put32(&s[0x58], f.entries_crc);
  put32(&s[0x10], zlib_crc(s.data(), std::min<std::size_t>(f.header_size, 512)));
  return s;
}

// Protective MBR, primary header + array at LBA 1/2, backup array at last-32 and header at last.
inline void write_gpt(SparseDisk& disk, const std::vector<GptPart>& primary, const std::vector<GptPart>& backup) {
  const std::uint64_t last = disk.sectors() - 1;
  const std::uint32_t protective_count = static_cast<std::uint32_t>(std::min<std::uint64_t>(last, 0xFFFFFFFF));
  disk.write_sector(0, mbr_sector({{0xEE, 1, protective_count}}));
  const auto write_copy = [&](const std::vector<GptPart>& parts, std::uint64_t header_lba, std::uint64_t other_lba,
                              std::uint64_t entries_lba) {
    const Bytes array = gpt_entry_array(parts);
    disk.write(entries_lba * 512, array);
    GptHeaderFields f;
    f.current_lba = header_lba;
    f.backup_lba = other_lba;
    f.last_usable = last - 33;
    f.entries_lba = entries_lba;
    f.entries_crc = zlib_crc(array.data(), array.size());
    disk.write_sector(header_lba, gpt_header(f));
  };
  write_copy(primary, 1, last, 2);
  write_copy(backup, last, 1, last - 32);
}

// ---- PMT ----

struct PmtEntry {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// A record array with the given stride: 0x58 (name,size,offset,mask), 0x60 (name,size,region,
// offset,mask) or 0x4C (name,size32,offset32,mask32).
inline Bytes pmt_records(const std::vector<PmtEntry>& entries, std::size_t stride) {
  Bytes out(entries.size() * stride, 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::uint8_t* r = out.data() + i * stride;
    std::copy(entries[i].name.begin(), entries[i].name.end(), r);
    if (stride == 0x58) {
      put64(r + 64, entries[i].size);
      put64(r + 72, entries[i].offset);
    } else if (stride == 0x60) {
      put64(r + 64, entries[i].size);
      put64(r + 72, 8);  // region/part id: must not be taken for the offset
      put64(r + 80, entries[i].offset);
    } else {
      put32(r + 64, static_cast<std::uint32_t>(entries[i].size));
      put32(r + 68, static_cast<std::uint32_t>(entries[i].offset));
    }
  }
  return out;
}

inline constexpr std::uint32_t kPTv1 = 0x50547631;
inline constexpr std::uint32_t kMPT1 = 0x4D505431;

// One table copy: v1.x (version "1.0"/"1.1", 0x1000 bytes, records at +8) or the older layout
// (version empty: 0x800 bytes, records at +4); head and tail signature.
inline Bytes pmt_table(const std::vector<PmtEntry>& entries, std::size_t stride, const std::string& version,
                       std::uint32_t signature = kPTv1) {
  const bool v1 = !version.empty();
  Bytes out(v1 ? 0x1000 : 0x800, 0);
  put32(out.data(), signature);
  if (v1) std::copy(version.begin(), version.end(), out.begin() + 4);
  const Bytes records = pmt_records(entries, stride);
  std::copy(records.begin(), records.end(), out.begin() + (v1 ? 8 : 4));
  put32(out.data() + out.size() - 4, signature);
  return out;
}

}  // namespace mtkfs::partition::test
