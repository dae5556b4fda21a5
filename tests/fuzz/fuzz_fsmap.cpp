// libFuzzer target: fsmap/ (detect_free_map and each filesystem reader) over a sparse partition.
// Input format: partition_input.h's sparse disk, the region being the partition, with these flags:
//   0x01 fix checksums first (ext4 superblock, descriptors and block bitmaps; exFAT boot region),
//        which mutation cannot guess;  0x02 the read numbered [9] throws;
//   bits 2-3: 0 detect_free_map, 1 read_ext4, 2 read_fat, 3 read_exfat.
// Invariants: only the injected exception escapes; reads inside the partition and bounded; free
// ranges sorted, disjoint, 512-aligned, inside; and, decoded independently here, no free byte is
// used: FAT clusters free in every FAT copy, ext4 blocks clear in their bitmap (or in a
// BLOCK_UNINIT group and no group's bitmap or inode table), never a superblock, descriptor or the
// exFAT boot region, FATs or root directory.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fsmap/checksum.h"
#include "fsmap/exfat.h"
#include "fsmap/ext4_bitmap.h"
#include "fsmap/fat.h"
#include "fsmap/free_map.h"
#include "fsmap/ranges.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/partition_input.h"

namespace mtkfs::fuzz {
namespace {

namespace pin = partition_input;
namespace fm = mtkfs::fsmap;

constexpr std::uint8_t kFlagFixChecksums = 0x01;
constexpr std::uint8_t kFlagThrowOnRead = 0x02;
constexpr std::uint64_t kMaxBytes = fm::kMaxFixedBytes + fm::kMaxMapBytes + 2048;
constexpr std::uint64_t kMaxReads = 1u << 21;
constexpr std::uint64_t kMaxChecked = 1u << 14;  // units checked against the oracle per input

struct InjectedReadError {};

struct View {
  const pin::Disk& disk;
  std::vector<std::uint8_t> at(std::uint64_t offset, std::uint64_t n) const {
    std::vector<std::uint8_t> b(offset < disk.region_size ? std::min(n, disk.region_size - offset) : 0);
    disk.read(offset, b);
    b.resize(n, 0);
    return b;
  }
  std::uint64_t le(std::uint64_t offset, std::size_t width) const { return pin::load_le(at(offset, width), 0, width); }
};

void put(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, int width) {
  for (int i = 0; i < width && at + i < b.size(); ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void fix_ext4(pin::Disk& disk) {
  const View v{disk};
  auto sb = v.at(1024, 1024);
  if (pin::load_le(sb, 0x38, 2) != 0xEF53) return;
  const std::uint64_t ro = pin::load_le(sb, 0x64, 4), incompat = pin::load_le(sb, 0x60, 4);
  const bool crc32c = ro & 0x400, crc16 = ro & 0x10;
  const std::uint64_t bs = 1024ull << std::min<std::uint64_t>(pin::load_le(sb, 0x18, 4), 6);
  const std::uint64_t fdb = pin::load_le(sb, 0x14, 4), bpg = std::max<std::uint64_t>(pin::load_le(sb, 0x20, 4), 1);
  const std::uint64_t ds = (incompat & 0x80) ? std::max<std::uint64_t>(pin::load_le(sb, 0xFE, 2), 32) : 32;
  const std::uint64_t blocks = pin::load_le(sb, 0x4, 4);
  const std::span<const std::uint8_t> uuid(sb.data() + 0x68, 16);
  const std::uint32_t seed =
      (incompat & 0x2000) ? static_cast<std::uint32_t>(pin::load_le(sb, 0x270, 4)) : fm::crc32c(~0u, uuid);
  const std::uint64_t groups = std::min<std::uint64_t>(blocks > fdb ? (blocks - fdb + bpg - 1) / bpg : 0, 64);
  for (std::uint64_t g = 0; g < groups && !(incompat & 0x10) && ds <= 1024; ++g) {
    const std::uint64_t at = (fdb + 1) * bs + g * ds;
    auto d = v.at(at, ds);
    const std::uint8_t le_g[4] = {static_cast<std::uint8_t>(g), 0, 0, 0};
    const std::uint8_t zero[2] = {0, 0};
    const std::span<const std::uint8_t> ds_span(d);
    if (crc32c) {
      const std::uint64_t bb = pin::load_le(d, 0, 4) | (ds >= 64 ? pin::load_le(d, 0x20, 4) << 32 : 0);
      if (bb < disk.region_size / bs) {
        const std::uint32_t c = fm::crc32c(seed, v.at(bb * bs, std::min(bpg / 8, bs)));
        put(d, 0x18, c, 2);
        if (ds >= 64) put(d, 0x38, c >> 16, 2);
      }
      std::uint32_t c = fm::crc32c(fm::crc32c(seed, le_g), ds_span.first(0x1E));
      c = fm::crc32c(fm::crc32c(c, zero), ds_span.subspan(0x20));
      put(d, 0x1E, c, 2);
    } else if (crc16) {
      std::uint16_t c = fm::crc16(fm::crc16(fm::crc16(0xFFFF, uuid), le_g), ds_span.first(0x1E));
      put(d, 0x1E, fm::crc16(c, ds_span.subspan(0x20)), 2);
    }
    disk.write(at, d);
  }
  if (crc32c) {
    put(sb, 0x3FC, fm::crc32c(~0u, std::span(sb).first(0x3FC)), 4);
    disk.write(1024, sb);
  }
}

void fix_exfat(pin::Disk& disk) {
  const View v{disk};
  const auto s0 = v.at(0, 512);
  if (!fm::exfat::has_signature(s0) || s0[108] < 9 || s0[108] > 12) return;
  const std::uint64_t bps = 1ull << s0[108];
  const std::uint32_t sum = fm::exfat_boot_checksum(v.at(0, 11 * bps), bps);
  std::vector<std::uint8_t> sector(bps);
  for (std::size_t i = 0; i < bps; i += 4) put(sector, i, sum, 4);
  disk.write(11 * bps, sector);
}

// The free units to compare with the oracle: all of them, or an even sample with every range's ends.
template <class Check>
void for_free_units(const fm::FreeMap& map, std::uint64_t unit, std::uint64_t base, Check check) {
  std::uint64_t total = 0;
  for (const fm::Range& r : map.free) total += r.size / unit;
  const std::uint64_t stride = std::max<std::uint64_t>(1, total / kMaxChecked);
  for (const fm::Range& r : map.free) {
    FUZZ_CHECK(r.offset >= base && (r.offset - base) % unit == 0 && r.size % unit == 0, "range not on a unit");
    const std::uint64_t first = (r.offset - base) / unit, count = r.size / unit;
    for (std::uint64_t i = 0;; i = std::min(i + stride, count - 1)) {
      check(first + i);
      if (i + 1 >= count) break;
    }
  }
}

void check_fat(const View& v, const fm::FreeMap& map) {
  const auto b = v.at(0, 512);
  const std::uint64_t bps = pin::load_le(b, 0x0B, 2), spc = b[0x0D], rsvd = pin::load_le(b, 0x0E, 2), fats = b[0x10];
  const std::uint64_t fatsz = pin::load_le(b, 0x16, 2) ? pin::load_le(b, 0x16, 2) : pin::load_le(b, 0x24, 4);
  const std::uint64_t total = pin::load_le(b, 0x13, 2) ? pin::load_le(b, 0x13, 2) : pin::load_le(b, 0x20, 4);
  const std::uint64_t data = rsvd + fats * fatsz + (pin::load_le(b, 0x11, 2) * 32 + bps - 1) / bps;
  const std::uint64_t clusters = (total - data) / spc;
  const fm::Kind kind = clusters < 4085 ? fm::Kind::fat12 : clusters < 65525 ? fm::Kind::fat16 : fm::Kind::fat32;
  FUZZ_CHECK(map.kind == kind && map.block_size == spc * bps, "FAT type or cluster size differs from the BPB");
  for_free_units(map, spc * bps, data * bps, [&](std::uint64_t i) {
    const std::uint64_t n = i + 2;
    FUZZ_CHECK(n < clusters + 2, "free cluster " + std::to_string(n) + " past the last one");
    for (std::uint64_t copy = 0; copy < fats; ++copy) {
      const std::uint64_t fat = (rsvd + copy * fatsz) * bps;
      const std::uint64_t e = kind == fm::Kind::fat12   ? (v.le(fat + n * 3 / 2, 2) >> (n % 2 ? 4 : 0)) & 0xFFF
                              : kind == fm::Kind::fat16 ? v.le(fat + n * 2, 2)
                                                        : v.le(fat + n * 4, 4) & 0x0FFFFFFF;
      FUZZ_CHECK(e == 0, "cluster " + std::to_string(n) + " free but FAT copy " + std::to_string(copy) + " says " +
                             std::to_string(e));
    }
  });
}

void check_exfat(const View& v, const fm::FreeMap& map) {
  const auto b = v.at(0, 512);
  const std::uint64_t bps = 1ull << b[108], cs = bps << b[109];
  const std::uint64_t heap = pin::load_le(b, 88, 4) * bps, count = pin::load_le(b, 92, 4);
  FUZZ_CHECK(!(pin::load_le(b, 106, 2) & 0x6), "a map for a dirty or failing exFAT volume");
  for_free_units(map, cs, heap, [&](std::uint64_t i) {
    FUZZ_CHECK(i < count, "free cluster past the last one");
    FUZZ_CHECK(i + 2 != pin::load_le(b, 96, 4), "the root directory's first cluster is free");
  });
}

void check_ext4(const View& v, const fm::FreeMap& map) {
  const auto sb = v.at(1024, 1024);
  const std::uint64_t bs = map.block_size, fdb = pin::load_le(sb, 0x14, 4), bpg = pin::load_le(sb, 0x20, 4);
  const std::uint64_t incompat = pin::load_le(sb, 0x60, 4), ro = pin::load_le(sb, 0x64, 4);
  const std::uint64_t ds = (incompat & 0x80) ? pin::load_le(sb, 0xFE, 2) : 32;
  const bool wide = ds >= 64, meta_bg = incompat & 0x10, uninit_honoured = ro & 0x410;
  const std::uint64_t blocks = pin::load_le(sb, 0x4, 4) | ((incompat & 0x80) ? pin::load_le(sb, 0x150, 4) << 32 : 0);
  const std::uint64_t groups = (blocks - fdb + bpg - 1) / bpg, gdt_blocks = (groups * ds + bs - 1) / bs;
  FUZZ_CHECK(!(incompat & 0x4) && (pin::load_le(sb, 0x3A, 2) & 3) == 1, "a map for an unclean ext4");
  auto field = [&](std::uint64_t g, std::size_t lo, std::size_t hi) {
    const std::uint64_t d = (fdb + 1) * bs + g * ds;
    return v.le(d + lo, 4) | (wide ? v.le(d + hi, 4) << 32 : 0);
  };
  const std::uint64_t inode_size = pin::load_le(sb, 0x4C, 4) == 0 ? 128 : pin::load_le(sb, 0x58, 2);
  const std::uint64_t table_blocks = (pin::load_le(sb, 0x28, 4) * inode_size + bs - 1) / bs;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> metadata;  // [first, end) of the first groups' tables
  for (std::uint64_t g = 0; g < std::min<std::uint64_t>(groups, 256) && !meta_bg; ++g) {
    metadata.push_back({field(g, 0x0, 0x20), field(g, 0x0, 0x20) + 1});
    metadata.push_back({field(g, 0x4, 0x24), field(g, 0x4, 0x24) + 1});
    metadata.push_back({field(g, 0x8, 0x28), field(g, 0x8, 0x28) + table_blocks});
  }
  for_free_units(map, bs, 0, [&](std::uint64_t b) {
    FUZZ_CHECK(b >= fdb && b < blocks, "free block " + std::to_string(b) + " outside the filesystem");
    FUZZ_CHECK(b * bs >= 2048 || (b + 1) * bs <= 1024, "the superblock is free");
    if (meta_bg) return;
    FUZZ_CHECK(b < fdb + 1 || b >= fdb + 1 + gdt_blocks, "a group descriptor block is free");
    const std::uint64_t g = (b - fdb) / bpg;
    if (!(uninit_honoured && (v.le((fdb + 1) * bs + g * ds + 0x12, 2) & 2))) {
      const std::uint64_t bit = b - fdb - g * bpg;
      FUZZ_CHECK(!((v.le(field(g, 0x0, 0x20) * bs + bit / 8, 1) >> (bit % 8)) & 1), "a used block is free");
      return;
    }
    for (const auto& [first, end] : metadata)
      FUZZ_CHECK(b < first || b >= end, "block " + std::to_string(b) + " of a group's bitmaps or inode table is free");
  });
}

}  // namespace
}  // namespace mtkfs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtkfs::fuzz;
  if (size < pin::kHeaderSize) return 0;
  pin::Disk disk = pin::decode(std::span<const std::uint8_t>(data, size));
  if (disk.flags & kFlagFixChecksums) {
    fix_ext4(disk);
    fix_exfat(disk);
  }
  const std::uint64_t partition = disk.region_size;
  std::uint64_t reads = 0, bytes = 0;
  const fm::ReadFn read = [&](std::uint64_t offset, std::span<std::uint8_t> out) {
    FUZZ_CHECK(offset <= partition && out.size() <= partition - offset,
               "read outside the partition: " + std::to_string(offset) + "+" + std::to_string(out.size()));
    bytes += out.size();
    FUZZ_CHECK(++reads <= kMaxReads && bytes <= kMaxBytes, "unbounded reading");
    if ((disk.flags & kFlagThrowOnRead) && reads == std::uint64_t{disk.throw_at} + 1) throw InjectedReadError{};
    disk.read(offset, out);
  };
  fm::Detection d;
  try {
    switch ((disk.flags >> 2) & 3) {
      case 0: d = fm::detect_free_map(read, partition); break;
      case 1: d = fm::read_ext4(read, partition); break;
      case 2: d = fm::read_fat(read, partition); break;
      default: d = fm::read_exfat(read, partition); break;
    }
  } catch (const InjectedReadError&) {
    return 0;
  }
  if (!d.map) {
    FUZZ_CHECK(!d.reason.empty(), "refused without a reason");
    note("refused: " + d.reason);
    return 0;
  }
  const fm::FreeMap& map = *d.map;
  FUZZ_CHECK(d.recognised, "a map for an unrecognised partition");
  FUZZ_CHECK(fm::well_formed(map.free, partition), "free ranges not sorted, disjoint, aligned and inside");
  FUZZ_CHECK(map.free_bytes() + map.used_bytes == partition, "used + free != partition size");
  note(map.description + ", " + std::to_string(map.free.size()) + " ranges");
  const View view{disk};
  if (map.kind == fm::Kind::ext4)
    check_ext4(view, map);
  else if (map.kind == fm::Kind::exfat)
    check_exfat(view, map);
  else
    check_fat(view, map);
  return 0;
}
