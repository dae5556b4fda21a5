// libFuzzer target: partition/ (read_table over a sparse disk, and the pure byte parsers).
// Input format: partition_input.h. Invariants: the guarantees partition_table.h makes for ANY
// disk contents, plus the postconditions each pure parser documents.
#include <zlib.h>

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
#include "partition/partition_table.h"
#include "partition/pmt.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/partition_input.h"
#include "tests/fuzz/text_checks.h"

namespace mtkfs::fuzz {
namespace {

namespace pt = mtkfs::partition;
namespace pin = partition_input;

// Upper bounds of the work read_table may do: LBA 0-1, two GPT copies (<= 1 MiB arrays), up to
// kMaxEbrs EBRs, the PMT window, and one superblock per extent (<= 1024 GPT entries).
constexpr std::size_t kMaxReads = 2 + 4 + pt::kMaxEbrs + 1 + pt::kGptMaxEntryCount;
constexpr std::uint64_t kMaxBytesRead = 2 * pt::kSectorSize + 2 * (pt::kSectorSize + (1u << 20)) +
                                        pt::kMaxEbrs * pt::kSectorSize + pt::kPmtWindowSize +
                                        pt::kGptMaxEntryCount * pt::kExt4NameBytesNeeded;

struct InjectedReadError {};  // what the ReadFn throws with kFlagThrowOnRead

std::uint32_t crc(std::span<const std::uint8_t> b) {
  return static_cast<std::uint32_t>(::crc32(0L, b.data(), static_cast<uInt>(b.size())));
}

void put_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// CRC32 cannot be guessed by mutation; recomputing both CRCs of any "EFI PART" header at LBA 1
// or at the last LBA lets the fuzzer explore header fields and entries instead.
void fix_gpt_crcs(pin::Disk& disk) {
  const std::uint64_t sectors = disk.region_size / pt::kSectorSize;
  if (sectors < 2) return;
  for (const std::uint64_t lba : {std::uint64_t{1}, sectors - 1}) {
    std::array<std::uint8_t, pt::kSectorSize> h{};
    disk.read(lba * pt::kSectorSize, h);
    if (std::memcmp(h.data(), "EFI PART", 8) != 0) continue;
    const std::span<const std::uint8_t> hs(h);
    const std::uint64_t entries_lba = pin::load_le(hs, 0x48, 8);
    const std::uint64_t count = pin::load_le(hs, 0x50, 4);
    const std::uint64_t size = pin::load_le(hs, 0x54, 4);
    if (count <= pt::kGptMaxEntryCount && size <= pt::kGptMaxEntrySize && entries_lba < sectors &&
        count * size <= (sectors - entries_lba) * pt::kSectorSize) {
      std::vector<std::uint8_t> array(count * size);
      disk.read(entries_lba * pt::kSectorSize, array);
      put_le32(&h[0x58], crc(array));
    }
    const std::uint64_t header_size = pin::load_le(hs, 0x0C, 4);
    if (header_size >= pt::kGptMinHeaderSize && header_size <= pt::kSectorSize) {
      put_le32(&h[0x10], 0);
      put_le32(&h[0x10], crc(std::span<const std::uint8_t>(h).first(header_size)));
    }
    disk.write(lba * pt::kSectorSize, h);
  }
}

void check_extent(const pt::Extent& e, std::uint64_t region_size, const std::string& where) {
  const std::string what = where + " extent '" + e.name + "' offset " + std::to_string(e.offset) + " size " +
                           std::to_string(e.size) + " region " + std::to_string(region_size);
  FUZZ_CHECK(e.offset % pt::kSectorSize == 0, what);
  FUZZ_CHECK(e.size % pt::kSectorSize == 0, what);
  FUZZ_CHECK(e.size > 0, what);
  FUZZ_CHECK(e.offset <= region_size && e.size <= region_size - e.offset, what);
  FUZZ_CHECK(e.number > 0, what);
  FUZZ_CHECK(valid_utf8(e.label), what + ": label is not valid UTF-8");
}

void check_table(const pt::Table& table, std::uint64_t region_size) {
  std::set<std::string> names;
  int previous_number = 0;
  for (const pt::Extent& e : table.extents) {
    check_extent(e, region_size, "read_table");
    FUZZ_CHECK(safe_name(e.name), "unsafe name '" + e.name + "'");
    FUZZ_CHECK(names.insert(e.name).second, "duplicate name '" + e.name + "'");
    // Each kernel partition number appears once, and the table is ordered by it.
    FUZZ_CHECK(e.number > previous_number, "partition numbers not increasing at '" + e.name + "'");
    previous_number = e.number;
  }
  if (table.scheme == pt::Scheme::none) FUZZ_CHECK(table.extents.empty(), "scheme none with extents");
  FUZZ_CHECK(std::string(pt::scheme_name(table.scheme)) != "", "empty scheme name");
}

void fuzz_read_table(pin::Disk& disk) {
  if (disk.flags & pin::kFlagFixGptCrcs) fix_gpt_crcs(disk);
  const std::uint64_t region = disk.region_size;
  const bool inject = disk.flags & pin::kFlagThrowOnRead;
  std::size_t reads = 0;
  std::uint64_t bytes = 0;
  const pt::ReadFn read = [&](std::uint64_t offset, std::span<std::uint8_t> out) {
    FUZZ_CHECK(offset <= region && out.size() <= region - offset,
               "read outside the region: " + std::to_string(offset) + "+" + std::to_string(out.size()) +
                   " of " + std::to_string(region));
    ++reads;
    bytes += out.size();
    FUZZ_CHECK(reads <= kMaxReads, "unbounded number of reads");
    FUZZ_CHECK(bytes <= kMaxBytesRead, "unbounded amount of data read");
    if (inject && reads == std::size_t{disk.throw_at} + 1) throw InjectedReadError{};
    disk.read(offset, out);
  };

  pt::ReadOptions with_ext4;
  with_ext4.ext4_names = !(disk.flags & pin::kFlagNoExt4Names);
  pt::Table table;
  try {
    table = pt::read_table(read, region, with_ext4);
  } catch (const InjectedReadError&) {
    return;  // the documented exception: what `read` throws propagates unchanged
  }
  check_table(table, region);
  note(std::string(pt::scheme_name(table.scheme)) + ", " + std::to_string(table.extents.size()) + " extents, " +
       std::to_string(table.warnings.size()) + " warnings" + (table.warnings.empty() ? "" : ": " + table.warnings[0]));

  // The ext4 pass may only add labels: geometry and numbering must not depend on it.
  pt::ReadOptions other = with_ext4;
  other.ext4_names = !with_ext4.ext4_names;
  reads = 0;
  bytes = 0;
  pt::Table twin;
  try {
    twin = pt::read_table(read, region, other);
  } catch (const InjectedReadError&) {
    return;
  }
  check_table(twin, region);
  FUZZ_CHECK(twin.scheme == table.scheme && twin.extents.size() == table.extents.size(),
             "ext4_names changed the table's scheme or extent count");
  for (std::size_t i = 0; i < table.extents.size(); ++i) {
    const pt::Extent& a = table.extents[i];
    const pt::Extent& b = twin.extents[i];
    FUZZ_CHECK(a.offset == b.offset && a.size == b.size && a.number == b.number,
               "ext4_names changed extent " + std::to_string(i));
  }
}

}  // namespace

void fuzz_partition_pure(std::uint8_t selector, std::uint64_t region_size, std::uint64_t lba,
                         std::span<const std::uint8_t> payload);

}  // namespace mtkfs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtkfs::fuzz;
  const std::span<const std::uint8_t> in(data, size);
  if (size < partition_input::kHeaderSize) return 0;
  if (in[0] & partition_input::kFlagPure) {
    // [0] flags, [1..8] region size, [9] parser selector, [10..17] LBA, then the payload.
    const std::uint64_t lba = partition_input::load_le(in, 10, 8);
    const auto payload = size > 18 ? in.subspan(18) : std::span<const std::uint8_t>();
    fuzz_partition_pure(in[9], partition_input::load_le(in, 1, 8), lba, payload);
    return 0;
  }
  partition_input::Disk disk = partition_input::decode(in);
  fuzz_read_table(disk);
  return 0;
}
