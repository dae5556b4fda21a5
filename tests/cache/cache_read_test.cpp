#include <random>
#include <thread>
#include <vector>

#include "tests/cache/cache_test_support.h"

namespace mtkfs::testing {
namespace {

using cache::Cache;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = HwPartition::user;

TEST_F(CacheTest, ReadMissThenHit) {
  Cache c(device, small_options());
  std::vector<std::uint8_t> buf(4096);
  c.read(kUser, 8192, buf);
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 8192, 4096));
  EXPECT_EQ(device.count(Kind::read), 1u);
  EXPECT_EQ(c.stats().misses, 1u);

  c.read(kUser, 100, buf);  // same block, unaligned
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 100, 4096));
  EXPECT_EQ(device.count(Kind::read), 1u);
  EXPECT_EQ(c.stats().hits, 1u);
  const auto calls = device.calls();
  EXPECT_EQ(calls[0].offset, 0u);
  EXPECT_EQ(calls[0].length, 64u * 1024);
}

TEST_F(CacheTest, UnalignedReadsAcrossBlocksAndPartitions) {
  Cache c(device, small_options());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    const auto part = i % 2 ? HwPartition::boot1 : kUser;
    const std::size_t len = 1 + rng() % (200 * 1024);
    const std::uint64_t off = rng() % (c.size(part) - len);
    std::vector<std::uint8_t> buf(len);
    c.read(part, off, buf);
    ASSERT_EQ(buf, FakeBlockDevice::pattern(part, off, len)) << "read " << len << " at " << off;
  }
  EXPECT_LE(c.stats().peak_resident_bytes, small_options().cache_size);
}

TEST_F(CacheTest, KeysAreSeparatePerHardwarePartition) {
  Cache c(device, small_options());
  std::vector<std::uint8_t> a(512), b(512);
  c.read(HwPartition::boot1, 0, a);
  c.read(HwPartition::boot2, 0, b);
  EXPECT_EQ(a, FakeBlockDevice::pattern(HwPartition::boot1, 0, 512));
  EXPECT_EQ(b, FakeBlockDevice::pattern(HwPartition::boot2, 0, 512));
  EXPECT_NE(a, b);
  EXPECT_EQ(device.count(Kind::read), 2u);
}

TEST_F(CacheTest, LruEvictsLeastRecentlyUsedAndRespectsBound) {
  auto o = small_options();
  o.cache_size = 4 * o.block_size;
  Cache c(device, o);
  std::vector<std::uint8_t> buf(512);
  for (int b = 0; b < 4; ++b) c.read(kUser, b * o.block_size, buf);
  c.read(kUser, 0, buf);                  // block 0 becomes the most recent
  c.read(kUser, 4 * o.block_size, buf);   // evicts block 1, the least recent
  EXPECT_EQ(c.stats().evictions, 1u);
  device.clear_log();
  c.read(kUser, 0, buf);
  EXPECT_EQ(device.count(Kind::read), 0u) << "block 0 was used recently and must still be cached";
  c.read(kUser, o.block_size, buf);
  EXPECT_EQ(device.count(Kind::read), 1u) << "block 1 was the eviction victim";

  for (int b = 0; b < 40; ++b) c.read(kUser, b * o.block_size, buf);
  EXPECT_LE(c.stats().resident_bytes, o.cache_size);
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
}

TEST_F(CacheTest, BoundsAreCheckedAgainstThePartitionSize) {
  Cache c(device, small_options());
  const std::uint64_t size = c.size(HwPartition::boot1);
  std::vector<std::uint8_t> buf(1024);
  EXPECT_THROW(c.read(HwPartition::boot1, size - 512, buf), std::out_of_range);
  EXPECT_THROW(c.read(HwPartition::boot1, size + 512, std::span(buf).first(0)), std::out_of_range);
  EXPECT_THROW(c.write(HwPartition::boot1, size - 1, std::span<const std::uint8_t>(buf)), std::out_of_range);
  EXPECT_THROW(c.read(HwPartition::gp1, 0, buf), std::out_of_range);  // the device has no gp1
  EXPECT_THROW(c.read(HwPartition::user, ~std::uint64_t{0} - 100, buf), std::out_of_range);
  c.read(HwPartition::boot1, size - 1024, buf);
  EXPECT_EQ(buf, FakeBlockDevice::pattern(HwPartition::boot1, size - 1024, 1024));
  EXPECT_EQ(device.count(Kind::read), 1u);
}

TEST_F(CacheTest, ShortLastBlockOfAPartition) {
  device.set_size(HwPartition::rpmb, 64 * 1024 * 3 + 4096);  // last block is 4 KiB
  Cache c(device, small_options());
  std::vector<std::uint8_t> buf(8192);
  c.read(HwPartition::rpmb, 64 * 1024 * 3 - 4096, buf);
  EXPECT_EQ(buf, FakeBlockDevice::pattern(HwPartition::rpmb, 64 * 1024 * 3 - 4096, 8192));
  std::vector<std::uint8_t> data(4096, 0x5A);
  c.write(HwPartition::rpmb, 64 * 1024 * 3, data);
  c.flush(HwPartition::rpmb);
  EXPECT_EQ(device.contents(HwPartition::rpmb, 64 * 1024 * 3, 4096), data);
}

TEST_F(CacheTest, ConcurrentReadersGetCorrectBytesAndTheDeviceStaysSequential) {
  auto o = small_options();
  o.cache_size = 8 * o.block_size;  // small enough that readers evict each other's blocks
  device.set_delay(std::chrono::microseconds(200));
  Cache c(device, o);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      const auto stream = c.open_stream();
      for (int i = 0; i < 60; ++i) {
        const std::size_t len = 1 + rng() % (128 * 1024);
        const std::uint64_t off = rng() % (8u << 20);
        std::vector<std::uint8_t> buf(len);
        c.read(kUser, off, buf, t % 2 ? stream : cache::kNoStream);
        if (buf != FakeBlockDevice::pattern(kUser, off, len)) ++bad;
      }
      c.close_stream(stream);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
}

TEST_F(CacheTest, DescribeRunsOnTheDevice) {
  Cache c(device, small_options());
  EXPECT_EQ(c.describe_device(), "fake eMMC for tests\n");
}

TEST_F(CacheTest, RejectsInconsistentOptions) {
  auto o = small_options();
  o.block_size = 1000;
  EXPECT_THROW(Cache(device, o), std::invalid_argument);
  o = small_options();
  o.cache_size = 2 * o.block_size;
  EXPECT_THROW(Cache(device, o), std::invalid_argument);
}

}  // namespace
}  // namespace mtkfs::testing
