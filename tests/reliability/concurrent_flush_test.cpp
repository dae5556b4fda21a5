// Two flushes of the same data at once (fsync on one descriptor while another is closed, which sends
// FLUSH; or a child's close-on-exec of an inherited descriptor): if the device write they both wait for
// fails, BOTH must fail. The data stays dirty after the failure, so a flush that returned success would
// claim durability for bytes that are only in the cache.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "cache/cache.h"
#include "tests/cache/cache_test_support.h"
#include "tests/cache/fake_block_device.h"

namespace mtkfs::reliability {
namespace {

using testing::FakeBlockDevice;
using Kind = FakeBlockDevice::Call::Kind;
constexpr auto kUser = da::HwPartition::user;


// true if the flush threw DeviceError, false if it returned; waits at most 20 s.
bool flush_failed(std::future<void>& flush) {
  if (flush.wait_for(std::chrono::seconds(20)) != std::future_status::ready) throw std::runtime_error("flush hangs");
  try {
    flush.get();
    return false;
  } catch (const da::DeviceError&) {
    return true;
  }
}

TEST(ConcurrentFlush, AWriteFailureReachesEveryFlushWaitingForIt) {
  FakeBlockDevice device;
  cache::Cache c(device, testing::small_options());
  const std::vector<std::uint8_t> data(4096, 0x5A);
  c.write(kUser, 0, data);
  device.fail_writes_in({kUser, 0, 512});
  device.hold_next_call();
  auto first = std::async(std::launch::async, [&] { c.flush_range(kUser, 0, 1 << 20); });
  ASSERT_TRUE(device.wait_until_held()) << "the write-back never reached the device";
  // The second flush finds the data in flight and waits for that write (give it time to get there; if it
  // is late it writes the data again itself, which fails too: the expectation holds either way).
  auto second = std::async(std::launch::async, [&] { c.flush_range(kUser, 0, 1 << 20); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  device.release();
  EXPECT_TRUE(flush_failed(first));
  EXPECT_TRUE(flush_failed(second)) << "a flush returned success while its data was not on the device";
  EXPECT_EQ(c.stats().dirty_bytes, 4096u) << "the data is kept for a retry";

  device.clear_failures();
  EXPECT_NO_THROW(c.flush_range(kUser, 0, 1 << 20)) << "the failure was reported; the retry succeeds";
  EXPECT_EQ(device.contents(kUser, 0, 4096), data);
  EXPECT_NO_THROW(c.flush_range(kUser, 0, 1 << 20)) << "and is not reported forever";
  for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
}

}  // namespace
}  // namespace mtkfs::reliability
