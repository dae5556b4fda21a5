// The real use case: a partition file holding an ext4 image, loop-mounted read-only through mtkfs.
#include <sys/mount.h>

#include <fstream>
#include <iterator>

#include "tests/fuse/mounted_fs.h"
#include "tests/support/requirements.h"

namespace mtkfs::testing {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FsLoopMount, Ext4ImageInAPartitionMountsAndReads) {
  if (!require_fuse("mounts in-process") || !require_loop("mount -o loop of a partition file")) return;
  TempDir work;
  std::filesystem::create_directories(work / "src/dir");
  const std::string message = "hello from inside the walkman\n";
  std::ofstream(work / "src/dir/hello.txt") << message;
  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::ofstream(work / "src/big.bin", std::ios::binary) << big;
  const auto image = work / "system.ext4";
  const std::string mkfs = "mke2fs -q -F -t ext4 -d '" + (work / "src").string() + "' '" + image.string() +
                           "' 16M >/dev/null 2>&1";
  ASSERT_EQ(std::system(mkfs.c_str()), 0) << mkfs;
  const auto bytes = file_bytes(image);
  ASSERT_EQ(bytes.size(), 16 * kMiB);

  FakeBlockDevice device;
  device.store(HwPartition::user, 8 * kMiB, bytes);
  MountedFs m(device, {}, {{"system", "system", 8 * kMiB, 16 * kMiB, 5}});
  const auto loop_target = work / "ext4";
  std::filesystem::create_directories(loop_target);
  const std::string mount = "mount -o loop,ro '" + m.path("partitions/system.img") + "' '" + loop_target.string() + "'";
  ASSERT_EQ(std::system(mount.c_str()), 0) << mount;

  std::ifstream hello(loop_target / "dir/hello.txt");
  const std::string read_back{std::istreambuf_iterator<char>(hello), std::istreambuf_iterator<char>()};
  hello.close();
  const auto big_back = file_bytes(loop_target / "big.bin");

  // Unmount the ext4 first; the loop device lets go of the partition file when it is detached.
  EXPECT_EQ(::umount2(loop_target.c_str(), 0), 0) << std::strerror(errno);
  EXPECT_EQ(read_back, message);
  EXPECT_EQ(std::string(big_back.begin(), big_back.end()), big);
  EXPECT_EQ(m.unmount(), 0);
  EXPECT_EQ(device.count(FakeBlockDevice::Call::write), 0u);
  for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
}

}  // namespace
}  // namespace mtkfs::testing
