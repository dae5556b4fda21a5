// How image files meet the kernel: direct I/O by default, the page cache with -o page_cache. The
// visible difference is mmap: the kernel refuses a shared mapping of a direct-I/O file (there is no page
// cache to keep it coherent), a private one works; with -o page_cache both work. Either way every byte
// read, through read() or a mapping, is the device's.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "sim/image/image.h"
#include "sim/sim.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

namespace image = sim::image;

constexpr std::uint64_t kMapOffset = 3 << 20;  // page-aligned, inside the user area
constexpr std::size_t kMapLength = 1 << 20;

struct MapResult {
  int error = 0;  // errno of a failed mmap, 0 when it worked
  std::vector<std::uint8_t> bytes;
};

MapResult map_and_copy(const std::string& file, int flags) {
  MapResult r;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {errno, {}};
  void* p = ::mmap(nullptr, kMapLength, PROT_READ, flags, fd, static_cast<off_t>(kMapOffset));
  if (p == MAP_FAILED) {
    r.error = errno;
  } else {
    const auto* first = static_cast<const std::uint8_t*>(p);
    r.bytes.assign(first, first + kMapLength);
    ::munmap(p, kMapLength);
  }
  ::close(fd);
  return r;
}

void expect_reads_match(SimMountRig& rig) {
  const auto expected = pattern_bytes(image::kRegionUser, kMapOffset, kMapLength);
  EXPECT_EQ(read_range(rig.mnt("user_area.img"), kMapOffset, kMapLength), expected);
  const MapResult priv = map_and_copy(rig.mnt("user_area.img"), MAP_PRIVATE);
  ASSERT_EQ(priv.error, 0) << std::strerror(priv.error);
  EXPECT_EQ(priv.bytes, expected) << "a private mapping shows the device's bytes";
}

TEST(MountPageCache, DirectIoByDefaultRefusesOnlySharedMappings) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim();
  const ProgramResult start = rig.mount({});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  expect_reads_match(rig);
  EXPECT_EQ(map_and_copy(rig.mnt("user_area.img"), MAP_SHARED).error, ENODEV)
      << "mtkfs(1) documents that shared mappings need -o page_cache";
  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();
}

TEST(MountPageCache, PageCacheOptionAllowsSharedMappings) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim();
  const ProgramResult start = rig.mount({"-o", "page_cache"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  expect_reads_match(rig);
  const MapResult shared = map_and_copy(rig.mnt("user_area.img"), MAP_SHARED);
  ASSERT_EQ(shared.error, 0) << std::strerror(shared.error);
  EXPECT_EQ(shared.bytes, pattern_bytes(image::kRegionUser, kMapOffset, kMapLength));
  const std::string backup = (rig.dir() / "backup.img").string();
  const ProgramResult cp = run_program("/bin/cp", {rig.mnt("user_area.img"), backup}, kProgramTimeout);
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(compare_file(backup, rig.image("user.img"), 0, sim::kDefaultUserSize), "");
  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();
}

}  // namespace
}  // namespace mtkfs::testing
