#pragma once

// Turns the first/last sectors of an eMMC user area into named extents (GPT, or MBR/EBR named
// from MediaTek's PMT). Layouts: docs/protocol/partitions.md.
//
// Guarantees of read_table for ANY bytes returned by `read`: no exception (except what `read`
// itself throws), bounded number of reads, every read inside [0, region_size), and every extent
// satisfies offset % 512 == 0, size > 0, offset + size <= region_size, unique safe `name`; on an
// MBR/EBR disk none covers the PMT or its mirror, and none is larger than its PMT record
// (docs/protocol/partitions.md §4.3).
// The pure byte-span parsers behind it (for unit tests and fuzzing) are in gpt.h, mbr.h, pmt.h,
// names.h and ext4_name.h.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mtkfs::partition {

inline constexpr std::uint64_t kSectorSize = 512;

struct Extent {
  std::string name;          // safe file name: [A-Za-z0-9._+-], no leading '.', unique in the table
  std::string label;         // name as found on disk (UTF-8), may be empty
  std::uint64_t offset = 0;  // bytes from the start of the region, multiple of 512
  std::uint64_t size = 0;    // bytes, > 0, multiple of 512
  int number = 0;            // kernel partition number (GPT index + 1, MBR/EBR pN)

  bool operator==(const Extent&) const = default;
};

enum class Scheme { none, gpt, mbr };
const char* scheme_name(Scheme scheme);  // "none", "gpt", "mbr"

struct Table {
  Scheme scheme = Scheme::none;
  std::vector<Extent> extents;
  std::vector<std::string> warnings;  // human-readable notes about anything malformed or repaired
};

// Reads out.size() bytes at `offset` of the region. May throw (I/O errors propagate to the caller).
using ReadFn = std::function<void(std::uint64_t offset, std::span<std::uint8_t> out)>;

struct ReadOptions {
  // docs/protocol/partitions.md §6 item 5: name still-unnamed partitions from an ext2/3/4
  // superblock (one extra sector read per unnamed partition).
  bool ext4_names = true;
};

Table read_table(const ReadFn& read, std::uint64_t region_size, const ReadOptions& options = {});

// Result of a pure parser: either a value or the reason it was rejected.
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;

  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
};

}  // namespace mtkfs::partition
