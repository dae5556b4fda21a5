// A corrupt partition table written into the simulator's user.img (valid checksums, hostile values)
// cannot map a partition file outside the user area: GPT entries beyond the region, an EBR data slot and
// an EBR chain pointing past the end, an EBR chain that loops. The mount still comes up, and every
// partition file provably shows bytes of the user area only (the pattern tells each file's position).
#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <sstream>

#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

constexpr std::uint64_t kSector = 512;

void put_le(Bytes& b, std::size_t at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
}
std::uint64_t get_le(const Bytes& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | b[at + static_cast<std::size_t>(i)];
  return v;
}
std::uint32_t crc(const std::uint8_t* data, std::size_t n) {
  return static_cast<std::uint32_t>(::crc32(::crc32(0, nullptr, 0), data, static_cast<uInt>(n)));
}

// Rewrites GPT entries (first/last LBA) in the primary table and fixes both CRCs, so the table is
// "valid" and only its values are hostile.
void corrupt_gpt(const PatternDisk& disk, const std::vector<std::tuple<int, std::uint64_t, std::uint64_t>>& entries) {
  Bytes gpt = disk.read_user(0, 34 * kSector);
  const std::size_t header = kSector;
  const std::size_t table = kSector * get_le(gpt, header + 72, 8);
  const auto count = get_le(gpt, header + 80, 4), size = get_le(gpt, header + 84, 4);
  for (const auto& [index, first, last] : entries) {
    put_le(gpt, table + static_cast<std::size_t>(index) * size + 32, first, 8);
    put_le(gpt, table + static_cast<std::size_t>(index) * size + 40, last, 8);
  }
  put_le(gpt, header + 88, crc(gpt.data() + table, count * size), 4);
  put_le(gpt, header + 16, 0, 4);
  put_le(gpt, header + 16, crc(gpt.data() + header, get_le(gpt, header + 12, 4)), 4);
  disk.write_user(0, gpt);
}

// Sets field `offset_in_entry` (8: start LBA, 12: count) of slot `slot` of the MBR/EBR at `at`.
void set_slot(const PatternDisk& disk, std::uint64_t at, int slot, std::size_t offset_in_entry, std::uint32_t value) {
  Bytes b(4);
  put_le(b, 0, value, 4);
  disk.write_user(at + 0x1BE + 16 * static_cast<std::uint64_t>(slot) + offset_in_entry, b);
}

// Every file in partitions/ lies inside the user area: its size fits, reads stop at its end, and where the
// pattern shows (all but ext4 "android") its first and last words are the user area's bytes at one offset.
void expect_files_inside(SimMountRig& sm, std::uint64_t user_size) {
  FuseFilesScope files;
  DIR* dir = ::opendir(sm.mnt("partitions").c_str());
  ASSERT_NE(dir, nullptr);
  int count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    ++count;
    SCOPED_TRACE(name);
    const std::string path = sm.mnt("partitions/" + name);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    EXPECT_GT(size, 0u);
    EXPECT_LE(size, user_size);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    std::uint64_t first = 0, last = 0;
    std::uint8_t probe[16];
    EXPECT_EQ(::pread(fd, &first, 8, 0), 8);
    EXPECT_EQ(::pread(fd, &last, 8, static_cast<off_t>(size - 8)), 8);
    EXPECT_EQ(::pread(fd, probe, sizeof probe, static_cast<off_t>(size)), 0) << "data after the end";
    ::close(fd);
    if (first >> 56 != kUser) continue;  // not pattern (ext4): the size check above is what remains
    const std::uint64_t offset = first & ((std::uint64_t{1} << 56) - 1);
    EXPECT_EQ(offset % kSector, 0u);
    EXPECT_LE(offset + size, user_size) << "file at user offset " << offset << " runs past the end";
    EXPECT_EQ(last, sim::image::pattern_word(kUser, offset + size - 8)) << "not one contiguous piece of the user area";
  }
  ::closedir(dir);
  EXPECT_GT(count, 0);
}

// The log's warnings, shown in the test output: they say what the parser made of the corruption.
void print_warnings(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("warning") != std::string::npos) std::printf("  %s\n", line.c_str());
}

class CorruptTable : public ::testing::Test {
 protected:
  void SetUp() override {
    mtkfs::testing::require_fuse();
  }
};

TEST_F(CorruptTable, GptEntriesBeyondTheRegionMapNothingOutside) {
  PatternDisk disk;
  const std::uint64_t sectors = disk.user_size() / kSector;
  // contents (27) runs far past the end; usrdata (26) lies wholly beyond it; misc (9) starts inside and
  // ends at 2^64 - 1 (an end computation that must not wrap).
  corrupt_gpt(disk, {{27, 0x6B400, 0xFFFFFFFFFFFull}, {26, sectors + 100, sectors + 200}, {9, 0x23C00, ~0ull}});
  SimMountRig sm(disk.dir(), disk.da());
  serve_and_mount(sm, {}, {"--rw"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  print_warnings(sm.log());
  expect_files_inside(sm, disk.user_size());
  struct stat st {};
  EXPECT_NE(::stat(sm.mnt("partitions/usrdata.img").c_str(), &st), 0) << "an entry wholly outside must not show";
  EXPECT_NE(sm.log().find("warning"), std::string::npos) << "the corruption is not reported:\n" << sm.log();
  EXPECT_TRUE(sm.process().unmount());
}

TEST_F(CorruptTable, EbrSlotAndChainPointingPastTheEnd) {
  PatternDisk disk(sim::image::Layout::mbr);
  set_slot(disk, sim::image::kEbr1Offset, 1, 12, 0xFFFFFF00u);      // seccfg's count: far past the end
  set_slot(disk, sim::image::kEbr2Offset, 3, 8, 0xF0000000u);       // EBR2's link: far past the end
  set_slot(disk, sim::image::kEbr2Offset, 0, 8, 0x7FFFFFF0u);       // a data slot starting past the end
  SimMountRig sm(disk.dir(), disk.da());
  serve_and_mount(sm, {}, {"--rw"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  print_warnings(sm.log());
  expect_files_inside(sm, disk.user_size());
  EXPECT_NE(sm.log().find("warning"), std::string::npos) << sm.log();
  EXPECT_TRUE(sm.process().unmount());
}

TEST_F(CorruptTable, EbrChainLoopEndsAndMapsNothingOutside) {
  PatternDisk disk(sim::image::Layout::mbr);
  // EBR3's link points back at EBR1 (0 relative to the extended partition): a cycle.
  set_slot(disk, sim::image::kEbr2Offset + sim::image::kEbrReservation, 3, 8, 0);
  SimMountRig sm(disk.dir(), disk.da());
  serve_and_mount(sm, {}, {});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  print_warnings(sm.log());
  expect_files_inside(sm, disk.user_size());
  EXPECT_TRUE(sm.process().unmount());
}

}  // namespace
}  // namespace mtkfs::reliability
