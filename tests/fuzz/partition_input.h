// Input format of fuzz_partition, shared by the target and the seed generator.
//
// A disk is described sparsely so that a few hundred bytes can place an EBR chain, a backup GPT
// at the last LBA and a PMT at size - 1 MiB of a 16 GB region:
//
//   [0]      flags (kFlag*)
//   [1..8]   region size, u64 little-endian (any value, also unaligned or absurd)
//   [9]      index of the read that throws (with kFlagThrowOnRead)
//   then patches until the input ends:
//            [u8 patch flags][u64 LE offset][u16 LE length][length bytes]
//            offset counts from the region end when (patch flags & 1), i.e. the patch starts at
//            size - offset. Later patches win; what lies outside the region is dropped; a
//            truncated last patch keeps the bytes that are there.
//   Every byte no patch covers reads as zero.
//
// With kFlagPure the bytes after the header feed the pure parsers instead (fuzz_partition.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mtkfs::fuzz::partition_input {

inline constexpr std::uint8_t kFlagPure = 0x01;
inline constexpr std::uint8_t kFlagNoExt4Names = 0x02;
inline constexpr std::uint8_t kFlagFixGptCrcs = 0x04;
inline constexpr std::uint8_t kFlagThrowOnRead = 0x08;
inline constexpr std::size_t kHeaderSize = 10;
inline constexpr std::uint8_t kPatchFromEnd = 0x01;

struct Patch {
  std::uint64_t offset = 0;  // from the region start, already resolved
  std::vector<std::uint8_t> bytes;
};

struct Disk {
  std::uint8_t flags = 0;
  std::uint64_t region_size = 0;
  std::uint8_t throw_at = 0;
  std::vector<Patch> patches;

  // Zero-fill, then apply every patch that overlaps [offset, offset + out.size()).
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    const std::uint64_t end = offset + out.size();
    for (const Patch& p : patches) {
      const std::uint64_t p_end = p.offset + p.bytes.size();
      const std::uint64_t from = std::max(offset, p.offset);
      const std::uint64_t to = std::min(end, p_end);
      if (from >= to) continue;
      std::copy_n(p.bytes.begin() + static_cast<std::ptrdiff_t>(from - p.offset), to - from,
                  out.begin() + static_cast<std::ptrdiff_t>(from - offset));
    }
  }

  // Later patches win, so overwriting (the CRC fix-up) is one more patch.
  void write(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
    patches.push_back(Patch{offset, {bytes.begin(), bytes.end()}});
  }
};

inline std::uint64_t load_le(std::span<const std::uint8_t> b, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width && at + i < b.size(); ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
  return v;
}

inline Disk decode(std::span<const std::uint8_t> in) {
  Disk disk;
  disk.flags = in.empty() ? 0 : in[0];
  disk.region_size = load_le(in, 1, 8);
  disk.throw_at = in.size() > 9 ? in[9] : 0;
  std::size_t at = kHeaderSize;
  while (at + 11 <= in.size()) {
    const std::uint8_t patch_flags = in[at];
    const std::uint64_t raw_offset = load_le(in, at + 1, 8);
    const std::size_t length = static_cast<std::size_t>(load_le(in, at + 9, 2));
    at += 11;
    const std::size_t available = std::min(length, in.size() - at);
    const auto bytes = in.subspan(at, available);
    at += available;
    std::uint64_t offset = raw_offset;
    if (patch_flags & kPatchFromEnd) {
      if (raw_offset > disk.region_size) continue;
      offset = disk.region_size - raw_offset;
    }
    if (offset >= disk.region_size) continue;
    const std::size_t kept = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), disk.region_size - offset));
    disk.patches.push_back(Patch{offset, {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kept)}});
  }
  return disk;
}

// The seed generator's side: appends one patch record.
inline void append_patch(std::vector<std::uint8_t>& out, std::uint64_t offset, std::span<const std::uint8_t> bytes,
                         bool from_end = false) {
  out.push_back(from_end ? kPatchFromEnd : 0);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(offset >> (8 * i)));
  out.push_back(static_cast<std::uint8_t>(bytes.size()));
  out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

inline std::vector<std::uint8_t> header(std::uint8_t flags, std::uint64_t region_size, std::uint8_t throw_at = 0) {
  std::vector<std::uint8_t> out{flags};
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(region_size >> (8 * i)));
  out.push_back(throw_at);
  return out;
}

}  // namespace mtkfs::fuzz::partition_input
