// Device failures: failed writes surface at the next flush and are retried, link loss fails everything
// promptly and reports the data it cost.
#include <future>
#include <vector>

#include "tests/cache/cache_test_support.h"

namespace mtkfs::testing {
namespace {

using cache::Cache;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = HwPartition::user;

TEST_F(CacheTest, FailedWriteIsReportedAtFlushAndKeptForRetry) {
  Cache c(device, small_options());
  const std::vector<std::uint8_t> data(4096, 0xAB);
  device.fail_writes_in({kUser, 8192, 8192 + 512});
  c.write(kUser, 8192, data);
  EXPECT_THROW(c.flush(kUser), da::DeviceError);
  EXPECT_EQ(c.stats().write_failures, 1u);
  EXPECT_EQ(c.stats().dirty_bytes, 4096u) << "the data must not be dropped";

  std::vector<std::uint8_t> back(4096);
  c.read(kUser, 8192, back);
  EXPECT_EQ(back, data) << "the cache still serves what was written";

  device.clear_failures();
  c.flush(kUser);  // the error was reported once; this flush retries and succeeds
  EXPECT_EQ(device.contents(kUser, 8192, 4096), data);
  EXPECT_EQ(c.stats().dirty_bytes, 0u);
  EXPECT_EQ(c.stats().lost_dirty_bytes, 0u);
}

TEST_F(CacheTest, WriteErrorIsReportedToTheFlushThatCoversIt) {
  auto o = small_options();
  Cache c(device, o);
  device.fail_writes_in({kUser, 0, 512});
  c.write(kUser, 0, std::vector<std::uint8_t>(512, 1));
  c.write(kUser, 8 * o.block_size, std::vector<std::uint8_t>(512, 2));
  EXPECT_NO_THROW(c.flush_range(kUser, 8 * o.block_size, o.block_size));
  EXPECT_THROW(c.flush_range(kUser, 0, o.block_size), da::DeviceError);
  EXPECT_THROW(c.flush_range(kUser, 0, o.block_size), da::DeviceError) << "still failing on retry";
  device.clear_failures();
  EXPECT_NO_THROW(c.flush_range(kUser, 0, o.block_size));
}

TEST_F(CacheTest, BackgroundWriteFailureSurfacesAtTheNextFlush) {
  auto o = small_options();
  o.cache_size = 4 * o.block_size;
  Cache c(device, o);
  device.fail_writes_in({kUser, 0, 512});
  // More than half the cache dirty: write-back starts in the background and fails on sector 0.
  c.write(kUser, 0, std::vector<std::uint8_t>(3 * o.block_size, 7));
  ASSERT_TRUE(eventually([&] { return c.stats().write_failures >= 1; }));
  EXPECT_THROW(c.flush(kUser), da::DeviceError);
  device.clear_failures();
  c.flush(kUser);
  EXPECT_EQ(device.contents(kUser, 0, 3 * o.block_size), std::vector<std::uint8_t>(3 * o.block_size, 7));
}

TEST_F(CacheTest, WriterGetsAnErrorWhenTheCacheIsFullOfUnwritableData) {
  auto o = small_options();
  o.cache_size = 4 * o.block_size;
  Cache c(device, o);
  device.fail_writes_in({kUser, 0, 64u << 20});
  const std::vector<std::uint8_t> chunk(o.block_size, 3);
  bool failed = false;
  for (int b = 0; b < 8 && !failed; ++b) {
    try {
      c.write(kUser, b * o.block_size, chunk);
    } catch (const da::DeviceError&) {
      failed = true;
    }
  }
  EXPECT_TRUE(failed) << "writes beyond the memory bound must fail, not hang or drop data";
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
  EXPECT_GT(c.stats().dirty_bytes, 0u);
  device.clear_failures();
  EXPECT_THROW(c.flush_all(), da::DeviceError) << "the failures seen so far are reported once";
  EXPECT_NO_THROW(c.flush_all());
  EXPECT_EQ(c.stats().dirty_bytes, 0u);
  for (int b = 0; b < 8; ++b) {
    // Blocks whose write() threw were never (fully) accepted; the others must be on the device.
    const auto on_device = device.contents(kUser, b * o.block_size, o.block_size);
    EXPECT_TRUE(on_device == chunk || on_device == FakeBlockDevice::pattern(kUser, b * o.block_size, o.block_size));
  }
}

TEST_F(CacheTest, LinkLossFailsLaterCallsPromptlyAndCountsLostData) {
  Cache c(device, small_options());
  c.write(kUser, 0, std::vector<std::uint8_t>(8192, 1));
  device.lose_link();
  EXPECT_THROW(c.flush(kUser), da::LinkLostError);
  const auto s = c.stats();
  EXPECT_TRUE(s.link_lost);
  EXPECT_EQ(s.lost_dirty_bytes, 8192u);
  EXPECT_EQ(s.dirty_bytes, 0u);
  const auto calls = device.calls().size();
  std::vector<std::uint8_t> buf(512);
  EXPECT_THROW(c.read(kUser, 1u << 20, buf), da::LinkLostError);
  EXPECT_THROW(c.read(kUser, 0, buf), da::LinkLostError);
  EXPECT_THROW(c.write(kUser, 0, buf), da::LinkLostError);
  EXPECT_THROW(c.flush_all(), da::LinkLostError);
  EXPECT_EQ(device.calls().size(), calls) << "no device call after the link is known to be gone";
}

TEST_F(CacheTest, LinkLossWakesCallersWaitingForTheDevice) {
  Cache c(device, small_options());
  device.hold_next_call();
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::uint8_t> buf(512);
    c.read(kUser, 0, buf);
  });
  ASSERT_TRUE(device.wait_until_held());
  // Queued behind the held call: must fail too, not wait for a device that is gone.
  auto second = std::async(std::launch::async, [&] {
    std::vector<std::uint8_t> buf(512);
    c.read(kUser, 10u << 20, buf);
  });
  auto writer = std::async(std::launch::async, [&] {
    c.write(kUser, 100, std::vector<std::uint8_t>(10, 1));  // partial sector: needs a device read
  });
  device.lose_link();
  device.release();
  EXPECT_THROW(reader.get(), da::LinkLostError);
  EXPECT_THROW(second.get(), da::LinkLostError);
  EXPECT_THROW(writer.get(), da::LinkLostError);
  EXPECT_TRUE(c.stats().link_lost);
}

TEST_F(CacheTest, FailedLoadIsAnErrorAndLaterRetried) {
  Cache c(device, small_options());
  device.fail_reads_in({kUser, 0, 512});
  std::vector<std::uint8_t> buf(512);
  EXPECT_THROW(c.read(kUser, 0, buf), da::DeviceError);
  device.clear_failures();
  c.read(kUser, 0, buf);
  EXPECT_EQ(buf, FakeBlockDevice::pattern(kUser, 0, 512));
}

}  // namespace
}  // namespace mtkfs::testing
