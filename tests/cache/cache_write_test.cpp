// Write-back: dirty tracking per sector, read-modify-write, coalesced flushes, the memory bound.
#include <numeric>
#include <thread>
#include <vector>

#include "tests/cache/cache_test_support.h"

namespace mtkfs::testing {
namespace {

using cache::Cache;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = HwPartition::user;

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

TEST_F(CacheTest, WholeSectorWritesStayInCacheUntilFlush) {
  Cache c(device, small_options());
  const auto data = bytes(4096, 1);
  c.write(kUser, 3 * 512, data);
  EXPECT_EQ(device.calls().size(), 0u) << "no read-modify-write for whole sectors, no write before flush";
  EXPECT_EQ(c.stats().dirty_bytes, 4096u);

  std::vector<std::uint8_t> back(4096);
  c.read(kUser, 3 * 512, back);
  EXPECT_EQ(back, data);
  EXPECT_EQ(device.contents(kUser, 3 * 512, 4096), FakeBlockDevice::pattern(kUser, 3 * 512, 4096));

  c.flush(kUser);
  EXPECT_EQ(device.contents(kUser, 3 * 512, 4096), data);
  EXPECT_EQ(c.stats().dirty_bytes, 0u);
  const auto writes = device.calls();
  ASSERT_EQ(device.count(Kind::write), 1u);
  for (const auto& call : writes)
    if (call.kind == Kind::write) {
      EXPECT_EQ(call.offset, 3u * 512);
      EXPECT_EQ(call.length, 4096u);
    }
  c.flush(kUser);
  EXPECT_EQ(device.count(Kind::write), 1u) << "nothing left to write";
}

TEST_F(CacheTest, PartialSectorWriteReadsOnlyTheTouchedSectors) {
  Cache c(device, small_options());
  const auto data = bytes(100, 9);
  c.write(kUser, 1000, data);  // ends in sector 2, starts in sector 1: both partial
  EXPECT_EQ(c.stats().rmw_reads, 2u);
  for (const auto& call : device.calls()) {
    EXPECT_EQ(call.kind, Kind::read);
    EXPECT_EQ(call.length, 512u);
  }
  c.flush(kUser);
  auto expected = FakeBlockDevice::pattern(kUser, 512, 1024);
  std::copy(data.begin(), data.end(), expected.begin() + (1000 - 512));
  EXPECT_EQ(device.contents(kUser, 512, 1024), expected);
  EXPECT_EQ(device.contents(kUser, 0, 512), FakeBlockDevice::pattern(kUser, 0, 512));
}

TEST_F(CacheTest, PartialWriteIntoACachedBlockNeedsNoDeviceRead) {
  Cache c(device, small_options());
  std::vector<std::uint8_t> buf(512);
  c.read(kUser, 0, buf);
  device.clear_log();
  const auto data = bytes(10, 3);
  c.write(kUser, 7, data);
  EXPECT_TRUE(device.calls().empty());
  c.flush(kUser);
  auto expected = FakeBlockDevice::pattern(kUser, 0, 512);
  std::copy(data.begin(), data.end(), expected.begin() + 7);
  EXPECT_EQ(device.contents(kUser, 0, 512), expected);
  ASSERT_EQ(device.calls().size(), 1u);
  EXPECT_EQ(device.calls()[0].length, 512u) << "only the dirty sector is written";
}

TEST_F(CacheTest, ReadOfAPartlyWrittenBlockMergesDeviceAndDirtyBytes) {
  Cache c(device, small_options());
  const auto data = bytes(1024, 5);
  c.write(kUser, 2048, data);
  std::vector<std::uint8_t> back(8192);
  c.read(kUser, 0, back);  // needs a load; the written sectors must survive it
  auto expected = FakeBlockDevice::pattern(kUser, 0, 8192);
  std::copy(data.begin(), data.end(), expected.begin() + 2048);
  EXPECT_EQ(back, expected);
}

TEST_F(CacheTest, FlushCoalescesContiguousDirtyDataAcrossBlocks) {
  auto o = small_options();
  Cache c(device, o);
  const auto data = bytes(3 * o.block_size, 2);
  c.write(kUser, 5 * o.block_size, data);
  c.write(kUser, 12 * o.block_size, bytes(512, 4));  // separate run
  c.flush(kUser);
  EXPECT_EQ(device.count(Kind::write), 2u);
  EXPECT_EQ(device.contents(kUser, 5 * o.block_size, data.size()), data);
}

TEST_F(CacheTest, FlushRangeWritesOnlyThatRange) {
  auto o = small_options();
  Cache c(device, o);
  c.write(kUser, 0, bytes(512, 1));
  c.write(kUser, 10 * o.block_size, bytes(512, 2));
  c.flush_range(kUser, 10 * o.block_size, o.block_size);
  EXPECT_EQ(device.count(Kind::write), 1u);
  EXPECT_EQ(device.contents(kUser, 10 * o.block_size, 512), bytes(512, 2));
  EXPECT_EQ(c.stats().dirty_bytes, 512u);
  c.flush_all();
  EXPECT_EQ(device.contents(kUser, 0, 512), bytes(512, 1));
}

TEST_F(CacheTest, DirtyDataBeyondTheMemoryBoundIsWrittenBackNotDropped) {
  auto o = small_options();
  o.cache_size = 4 * o.block_size;
  Cache c(device, o);
  const auto data = bytes(16 * o.block_size, 8);
  for (std::size_t off = 0; off < data.size(); off += 32 * 1024)
    c.write(kUser, off, std::span(data).subspan(off, 32 * 1024));
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
  c.flush_all();
  EXPECT_EQ(device.contents(kUser, 0, data.size()), data);
}

TEST_F(CacheTest, ConcurrentWritersAndReaders) {
  auto o = small_options();
  o.cache_size = 6 * o.block_size;
  Cache c(device, o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto data = bytes(3 * o.block_size + 300, static_cast<std::uint8_t>(t));
      const std::uint64_t base = (1 + 5 * t) * o.block_size + 17;  // disjoint, unaligned ranges
      for (std::size_t off = 0; off < data.size(); off += 10000)
        c.write(kUser, base + off, std::span(data).subspan(off, std::min<std::size_t>(10000, data.size() - off)));
      std::vector<std::uint8_t> back(data.size());
      c.read(kUser, base, back);
      EXPECT_EQ(back, data);
    });
  }
  for (auto& th : threads) th.join();
  c.flush_all();
  for (int t = 0; t < 4; ++t) {
    const auto data = bytes(3 * o.block_size + 300, static_cast<std::uint8_t>(t));
    EXPECT_EQ(device.contents(kUser, (1 + 5 * t) * o.block_size + 17, data.size()), data);
  }
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
}

TEST_F(CacheTest, DestructorWritesBackDirtyData) {
  {
    Cache c(device, small_options());
    c.write(kUser, 4096, bytes(512, 6));
  }
  EXPECT_EQ(device.contents(kUser, 4096, 512), bytes(512, 6));
}

}  // namespace
}  // namespace mtkfs::testing
