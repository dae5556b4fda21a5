#include "tests/sim_image/ext4_expect.h"

#include <gtest/gtest.h>

#include "sim/image/image.h"
#include "tests/sim_image/test_util.h"

namespace mtkfs::sim::image::test {

void expect_system_ext4(const std::filesystem::path& image, std::uint64_t offset, std::uint64_t size,
                        const std::filesystem::path& scratch) {
  LoopDevice loop(image, /*partscan=*/false, offset, size);
  const std::string dev = loop.device();

  auto fsck = run("e2fsck -fn " + dev + " 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;

  auto stats = run("dumpe2fs -h " + dev + " 2>/dev/null");
  EXPECT_EQ(stats.exit_code, 0);
  EXPECT_NE(stats.output.find("Filesystem volume name:   system\n"), std::string::npos) << stats.output;
  EXPECT_NE(stats.output.find("Last mounted on:          /system\n"), std::string::npos) << stats.output;
  EXPECT_NE(stats.output.find("Block count:              " + std::to_string(size / 4096) + "\n"), std::string::npos)
      << "the file system must fill the partition exactly\n" << stats.output;

  auto hello = run("debugfs -R 'cat /etc/hello.txt' " + dev + " 2>/dev/null");
  EXPECT_EQ(hello.exit_code, 0);
  EXPECT_EQ(hello.output, "Hello from mtkfs-sim\n");
  auto prop = run("debugfs -R 'cat /build.prop' " + dev + " 2>/dev/null");
  EXPECT_EQ(prop.output, std::string(kBuildPropContent));
  EXPECT_NE(prop.output.find("ro.product.model=NW-A50\n"), std::string::npos);

  const auto dumped = scratch / "pattern.bin";
  auto dump = run("debugfs -R 'dump /data/pattern.bin " + dumped.string() + "' " + dev + " 2>&1");
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  ASSERT_EQ(std::filesystem::file_size(dumped), 1u << 20);
  const auto data = read_bytes(dumped, 0, 1 << 20);
  for (std::uint64_t off = 0; off < data.size(); off += 8)
    ASSERT_EQ(read_le(data, off, 8), (std::uint64_t{0xA5} << 56) | off) << "pattern.bin offset " << off;
  EXPECT_EQ(pattern_bin_word(0x100), (std::uint64_t{0xA5} << 56) | 0x100);
}

}  // namespace mtkfs::sim::image::test
