// Loads straight into cache blocks and zero-copy reads (read_in_place): the bytes a caller sees or writes
// are never overwritten by a device read that was in flight, and a viewed block holds still.
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "tests/cache/cache_test_support.h"

namespace mtkfs::testing {
namespace {

using cache::Cache;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = HwPartition::user;
constexpr auto kLimit = std::chrono::seconds(10);

std::vector<std::uint8_t> filled(std::size_t n, std::uint8_t value) { return std::vector<std::uint8_t>(n, value); }

TEST_F(CacheTest, ReadInPlaceHandsOverTheCachedBytes) {
  Cache c(device, small_options());
  const std::size_t block = small_options().block_size;
  std::vector<std::uint8_t> seen;
  c.read_in_place(kUser, block + 100, 3000, cache::kNoStream,
                  [&](std::span<const std::uint8_t> bytes) { seen.assign(bytes.begin(), bytes.end()); });
  EXPECT_EQ(seen, FakeBlockDevice::pattern(kUser, block + 100, 3000));
  EXPECT_EQ(c.stats().misses, 1u);
  c.read_in_place(kUser, block, block, cache::kNoStream,
                  [&](std::span<const std::uint8_t> bytes) { seen.assign(bytes.begin(), bytes.end()); });
  EXPECT_EQ(seen, FakeBlockDevice::pattern(kUser, block, block));
  EXPECT_EQ(c.stats().hits, 1u) << "the whole block was loaded by the first read";
}

TEST_F(CacheTest, ReadInPlaceRefusesRangesAcrossBlocks) {
  Cache c(device, small_options());
  const std::size_t block = small_options().block_size;
  bool called = false;
  EXPECT_THROW(c.read_in_place(kUser, block - 512, 1024, cache::kNoStream,
                               [&](std::span<const std::uint8_t>) { called = true; }),
               std::invalid_argument);
  EXPECT_THROW(c.read_in_place(kUser, 0, 0, cache::kNoStream, [&](std::span<const std::uint8_t>) { called = true; }),
               std::invalid_argument);
  EXPECT_FALSE(called);
}

TEST_F(CacheTest, ReadInPlacePassesExceptionsOnAndStaysUsable) {
  Cache c(device, small_options());
  EXPECT_THROW(c.read_in_place(kUser, 0, 512, cache::kNoStream,
                               [](std::span<const std::uint8_t>) { throw std::runtime_error("consumer failed"); }),
               std::runtime_error);
  c.write(kUser, 0, filled(512, 0x5A));  // would wait forever if the block were still being viewed
  std::vector<std::uint8_t> back(512);
  c.read(kUser, 0, back);
  EXPECT_EQ(back, filled(512, 0x5A));
}

TEST_F(CacheTest, AWriteWaitsWhileTheBlockIsViewed) {
  Cache c(device, small_options());
  const auto before = FakeBlockDevice::pattern(kUser, 0, 4096);
  std::promise<void> viewing;
  std::promise<void> writer_started;
  auto writer_started_future = writer_started.get_future();
  bool unchanged = false;
  std::thread viewer([&] {
    c.read_in_place(kUser, 0, 4096, cache::kNoStream, [&](std::span<const std::uint8_t> bytes) {
      viewing.set_value();
      ASSERT_EQ(writer_started_future.wait_for(kLimit), std::future_status::ready);
      // The writer had every chance to run; it must still be waiting.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      unchanged = std::equal(bytes.begin(), bytes.end(), before.begin());
    });
  });
  ASSERT_EQ(viewing.get_future().wait_for(kLimit), std::future_status::ready);
  auto writer = std::async(std::launch::async, [&] {
    writer_started.set_value();
    c.write(kUser, 0, filled(4096, 0xEE));
  });
  viewer.join();
  ASSERT_EQ(writer.wait_for(kLimit), std::future_status::ready);
  writer.get();
  EXPECT_TRUE(unchanged) << "a write changed bytes a read_in_place caller was using";
  std::vector<std::uint8_t> back(4096);
  c.read(kUser, 0, back);
  EXPECT_EQ(back, filled(4096, 0xEE));
}

TEST_F(CacheTest, AWriteDuringAnInPlaceLoadIsNotOverwrittenByIt) {
  Cache c(device, small_options());
  const std::size_t block = small_options().block_size;
  device.hold_next_call();
  // The reader's miss makes the I/O thread read block 0 straight into the cache, held inside the device.
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::uint8_t> buf(512);
    c.read(kUser, block - 512, buf);
    return buf;
  });
  ASSERT_TRUE(device.wait_until_held());
  auto writer = std::async(std::launch::async, [&] { c.write(kUser, 0, filled(block, 0x77)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the writer reach the block
  device.release();
  ASSERT_EQ(writer.wait_for(kLimit), std::future_status::ready);
  writer.get();
  ASSERT_EQ(reader.wait_for(kLimit), std::future_status::ready);
  const auto first_read = reader.get();
  const bool device_bytes = first_read == FakeBlockDevice::pattern(kUser, block - 512, 512);
  const bool written_bytes = first_read == filled(512, 0x77);
  EXPECT_TRUE(device_bytes || written_bytes) << "the reader saw a mix";
  std::vector<std::uint8_t> back(block);
  c.read(kUser, 0, back);
  EXPECT_EQ(back, filled(block, 0x77)) << "the load that was in flight overwrote the write";
  c.flush(kUser);
  EXPECT_EQ(device.contents(kUser, 0, block), filled(block, 0x77));
}

TEST_F(CacheTest, SequentialReadsAcrossTheWholeBlockMemoryStayCorrectAndCoalesced) {
  auto o = small_options();
  Cache c(device, o);
  const cache::StreamId stream = c.open_stream();
  const std::size_t total = 4 * o.cache_size;  // wraps around the block memory several times
  std::vector<std::uint8_t> buf(o.block_size);
  for (std::size_t at = 0; at < total; at += buf.size()) {
    c.read(kUser, at, buf, stream);
    ASSERT_EQ(buf, FakeBlockDevice::pattern(kUser, at, buf.size())) << "at " << at;
  }
  c.close_stream(stream);
  // Read-ahead runs of up to max_device_transfer; a run is cut where the block memory wraps around.
  const std::size_t blocks = total / o.block_size;
  const std::size_t wraps = total / o.cache_size;
  EXPECT_LE(device.count(Kind::read), blocks / 2 + wraps + 2) << "sequential loads must stay coalesced";
  EXPECT_LE(c.stats().peak_resident_bytes, o.cache_size);
}

}  // namespace
}  // namespace mtkfs::testing
