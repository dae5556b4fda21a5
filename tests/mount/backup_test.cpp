// Backups through a real mount: every file of the mount against the simulator's image files, and
// the partition files against the partition list sim/image writes (not the one mtkfs parsed).
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <set>

#include "sim/image/image.h"
#include "sim/sim.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

namespace image = sim::image;

std::set<std::string> listed_partitions(const SimMountRig& rig) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(rig.mnt("partitions")))
    names.insert(entry.path().filename().string());
  return names;
}

std::set<std::string> expected_partitions(const std::vector<image::PartitionSpec>& table) {
  std::set<std::string> names;
  for (const auto& spec : table) names.insert(spec.name + ".img");
  return names;
}

int open_error(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno;
}

// Every partition file equals its extent of the simulator's user.img.
void expect_partitions_match(const SimMountRig& rig, const std::vector<image::PartitionSpec>& table) {
  EXPECT_EQ(listed_partitions(rig), expected_partitions(table));
  for (const auto& spec : table)
    EXPECT_EQ(compare_file(rig.mnt("partitions/" + spec.name + ".img"), rig.image("user.img"), spec.offset, spec.size),
              "")
        << spec.name;
}

// Cheaper, for a second layout: size, first and last 128 KiB of every partition file. On a pattern
// disk every 8 bytes name their own offset, so a wrong offset or size cannot pass.
void expect_partition_ends_match(const SimMountRig& rig, const std::vector<image::PartitionSpec>& table) {
  EXPECT_EQ(listed_partitions(rig), expected_partitions(table));
  for (const auto& spec : table) {
    const std::string file = rig.mnt("partitions/" + spec.name + ".img");
    ASSERT_EQ(std::filesystem::file_size(file), spec.size) << spec.name;
    const std::uint64_t end = std::min<std::uint64_t>(spec.size, 128 * 1024);
    EXPECT_EQ(compare_ranges(file, 0, rig.image("user.img"), spec.offset, end), "") << spec.name;
    EXPECT_EQ(compare_ranges(file, spec.size - end, rig.image("user.img"), spec.offset + spec.size - end, end), "")
        << spec.name;
  }
}

// "peak N bytes" from the unmount statistics line.
std::uint64_t peak_cache_bytes(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("peak ([0-9]+) bytes"))) return ~std::uint64_t{0};
  return std::stoull(m[1]);
}

TEST(MountBackup, GptPatternDiskCopiesExactlyAndReadsMatchThePattern) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim({"--allow-rpmb"});
  const ProgramResult start = rig.mount({"-o", "rpmb"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_EQ(start.err, "") << "a background mount is silent on success";
  // Detaching only after the mount exists: no polling needed.
  ASSERT_TRUE(rig.mounted());
  ASSERT_GT(rig.daemon_pid(), 0) << "the detached mtkfs process was not found";

  const std::string backup = (rig.dir() / "backup.img").string();
  const ProgramResult cp = run_program("/bin/cp", {rig.mnt("user_area.img"), backup}, kProgramTimeout);
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(compare_file(backup, rig.image("user.img"), 0, sim::kDefaultUserSize), "");
  for (const char* region : {"boot1.img", "boot2.img", "rpmb.img"})
    EXPECT_EQ(compare_file(rig.mnt(region), rig.image(region), 0, std::filesystem::file_size(rig.image(region))), "")
        << region;
  const auto table = image::partition_table(sim::kDefaultUserSize, image::Layout::gpt);
  expect_partitions_match(rig, table);

  // Random ranges against the pattern computed here: boot2, rpmb and every partition but the ext4.
  struct Source {
    std::string file;
    std::uint8_t region;
    std::uint64_t base, size;
  };
  std::vector<Source> sources{{"boot2.img", image::kRegionBoot2, 0, sim::kDefaultBoot2Size},
                              {"rpmb.img", image::kRegionRpmb, 0, sim::kDefaultRpmbSize}};
  for (const auto& spec : table)
    if (spec.name != image::kAndroidPartitionName)
      sources.push_back({"partitions/" + spec.name + ".img", image::kRegionUser, spec.offset, spec.size});
  std::mt19937_64 random(0x6d746b6673ull);
  for (int i = 0; i < 300; ++i) {
    const Source& s = sources[random() % sources.size()];
    const std::uint64_t offset = random() % s.size;
    const std::size_t length = static_cast<std::size_t>(1 + random() % std::min<std::uint64_t>(s.size - offset, 300000));
    ASSERT_EQ(read_range(rig.mnt(s.file), offset, length), pattern_bytes(s.region, s.base + offset, length))
        << s.file << " at " << offset << " length " << length;
  }

  // Read-only unless asked: the kernel refuses writes on the ro mount.
  for (const char* file : {"user_area.img", "boot1.img", "rpmb.img", "partitions/nvram.img"})
    EXPECT_EQ(open_error(rig.mnt(file), O_WRONLY), EROFS) << file;

  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();
  EXPECT_FALSE(rig.mounted());
  const std::string log = rig.log();
  EXPECT_NE(log.find("DA READ commands"), std::string::npos) << log;
  EXPECT_NE(log.find("wrote 0 bytes in 0 device writes"), std::string::npos) << log;
}

TEST(MountBackup, MbrDiskWithPmtNamesInTheForegroundWithA16MiBCache) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "mbr", "--pattern"});
  rig.start_sim();
  const ProgramResult start = rig.mount({"-o", "cache_size=16M"}, Mode::foreground);
  ASSERT_TRUE(rig.mounted()) << start.err;

  // The whole user area through a cache of 1/16 of its size.
  EXPECT_EQ(compare_file(rig.mnt("user_area.img"), rig.image("user.img"), 0, sim::kDefaultUserSize), "");
  const auto table = image::partition_table(sim::kDefaultUserSize, image::Layout::mbr);
  expect_partition_ends_match(rig, table);
  EXPECT_TRUE(std::filesystem::exists(rig.mnt("partitions/nvram.img")));

  // The ext4 file system in "android", loop-mounted from the mount.
  const auto system = rig.dir() / "system";
  std::filesystem::create_directories(system);
  const ProgramResult loop = run_program(
      "/usr/bin/mount", {"-o", "loop,ro", rig.mnt("partitions/android.img"), system.string()}, kProgramTimeout);
  ASSERT_EQ(loop.exit_code, 0) << loop.err;
  const std::string hello = read_text_file((system / "etc/hello.txt").string());
  const std::string build_prop = read_text_file((system / "build.prop").string());
  const auto pattern_bin = read_range(system / "data/pattern.bin", 0x4000, 16);
  EXPECT_EQ(::umount2(system.c_str(), 0), 0) << std::strerror(errno);  // the loop first
  EXPECT_EQ(hello, image::kHelloTxtContent);
  EXPECT_EQ(build_prop, image::kBuildPropContent);
  for (int i = 0; i < 2; ++i) {
    std::uint64_t word = 0;
    for (int b = 7; b >= 0; --b) word = word << 8 | pattern_bin[8 * i + b];
    EXPECT_EQ(word, image::pattern_bin_word(0x4000 + 8 * i));
  }

  // Ctrl-C in the foreground unmounts cleanly.
  EXPECT_EQ(rig.unmount(Unmount::sigint), 0) << rig.log();
  EXPECT_FALSE(rig.mounted());
  const std::string log = rig.log();
  EXPECT_NE(log.find("mounted the eMMC"), std::string::npos) << log;
  EXPECT_NE(log.find("DA READ commands"), std::string::npos) << log;
  EXPECT_LE(peak_cache_bytes(log), std::uint64_t{16} << 20) << log;
}

}  // namespace
}  // namespace mtkfs::testing
