// Sequential streams: read-ahead, coalescing into few device reads, prefetch off the reader's path.
#include <vector>

#include "tests/cache/cache_test_support.h"

namespace mtkfs::testing {
namespace {

using cache::Cache;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = HwPartition::user;

TEST_F(CacheTest, SequentialGibibyteCostsAtMost64DeviceReads) {
  constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
  device.set_size(kUser, kGiB);
  Cache c(device);  // defaults: 1 MiB blocks, 256 MiB, read-ahead 1 -> 64 MiB
  const auto stream = c.open_stream();
  std::vector<std::uint8_t> buf(128 * 1024), expected(buf.size());
  for (std::uint64_t off = 0; off < kGiB; off += buf.size()) {
    c.read(kUser, off, buf, stream);
    FakeBlockDevice::pattern(kUser, off, expected);
    ASSERT_EQ(buf, expected) << "at " << off;
  }
  const auto reads = device.count(Kind::read);
  EXPECT_LE(reads, 64u);
  EXPECT_GE(reads, 1u);
  std::uint64_t bytes = 0;
  for (const auto& call : device.calls()) bytes += call.length;
  EXPECT_EQ(bytes, kGiB) << "every byte read exactly once";
  EXPECT_LE(c.stats().peak_resident_bytes, c.options().cache_size);
  RecordProperty("device_reads_per_GiB", static_cast<int>(reads));
}

TEST_F(CacheTest, ReadAheadLoadsBlocksBeforeTheyAreAsked) {
  Cache c(device, small_options());
  const auto stream = c.open_stream();
  std::vector<std::uint8_t> buf(16 * 1024);
  for (std::uint64_t off = 0; off < 64 * 1024; off += buf.size()) c.read(kUser, off, buf, stream);
  ASSERT_TRUE(eventually([&] { return c.stats().prefetched_blocks >= 1; }));
  const auto reads_before = device.count(Kind::read);
  c.read(kUser, 64 * 1024, buf, stream);  // block 1 came in with read-ahead
  EXPECT_EQ(device.count(Kind::read), reads_before);
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 64 * 1024, buf.size()));
}

TEST_F(CacheTest, RandomReadsDoNotTriggerReadAhead) {
  Cache c(device, small_options());
  const auto stream = c.open_stream();
  std::vector<std::uint8_t> buf(4096);
  const std::uint64_t offsets[] = {0, 5u << 20, 1u << 20, 9u << 20, 3u << 20, 12u << 20};
  for (auto off : offsets) c.read(kUser, off, buf, stream);
  std::uint64_t bytes = 0;
  for (const auto& call : device.calls()) bytes += call.length;
  // Only the first read of a stream may bring a little read-ahead (like the kernel's initial window).
  EXPECT_LE(bytes, (std::size(offsets) + 2) * 64 * 1024);
}

TEST_F(CacheTest, WindowGrowsSoLaterLoadsAreLarger) {
  auto o = small_options();
  o.readahead_max = 16 * o.block_size;
  o.cache_size = 64 * o.block_size;
  o.max_device_transfer = 16 * o.block_size;
  Cache c(device, o);
  const auto stream = c.open_stream();
  std::vector<std::uint8_t> buf(32 * 1024);
  for (std::uint64_t off = 0; off < (8u << 20); off += buf.size()) c.read(kUser, off, buf, stream);
  const auto calls = device.calls();
  ASSERT_GE(calls.size(), 3u);
  std::uint64_t largest = 0;
  for (const auto& call : calls) largest = std::max(largest, call.length);
  EXPECT_LE(calls.front().length, 2 * o.block_size);
  EXPECT_GE(largest, 8 * o.block_size);
}

TEST_F(CacheTest, PrefetchDoesNotBlockASatisfiedReader) {
  Cache c(device, small_options());  // 64 KiB blocks, initial window one block
  const auto stream = c.open_stream();
  std::vector<std::uint8_t> buf(16 * 1024);
  c.read(kUser, 0, buf, stream);  // one device read: block 0 (asked) + block 1 (initial window)
  ASSERT_EQ(device.count(Kind::read), 1u);
  for (std::uint64_t off = buf.size(); off < 96 * 1024; off += buf.size()) c.read(kUser, off, buf, stream);
  ASSERT_EQ(device.count(Kind::read), 1u);

  device.hold_next_call();
  c.read(kUser, 96 * 1024, buf, stream);  // less than half a window left: read-ahead of block 2 starts
  ASSERT_TRUE(device.wait_until_held());
  c.read(kUser, 112 * 1024, buf, stream);  // cached: must not wait for the stuck read-ahead
  EXPECT_TRUE(device.holding()) << "the reader waited for the read-ahead";
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 112 * 1024, buf.size()));
  device.release();
  c.read(kUser, 128 * 1024, buf);  // block 2, from the read-ahead that was stuck (no new stream activity)
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 128 * 1024, buf.size()));
  EXPECT_EQ(device.count(Kind::read), 2u);
}

}  // namespace
}  // namespace mtkfs::testing
