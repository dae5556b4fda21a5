// A read chunk whose checksum does not match: re-read transparently a bounded number of times and logged;
// a mismatch that persists is EIO for the reader, after a bounded number of attempts, while the DA session
// stays usable (writes still work).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/reliability/fault_runner.h"
#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

class Checksum : public PatternDiskSuite {
 protected:
  static void SetUpTestSuite() {
    PatternDiskSuite::SetUpTestSuite();
    if (mtkfs::testing::missing_fuse().empty()) calibration_ = calibrate(*disk_);  // else SetUp() skips
  }
  static inline Calibration calibration_;
};

std::size_t count_lines(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(Checksum, OneBadChunkIsReadAgainTransparently) {
  // The third chunk after the mount: inside the sequential read below.
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {"--fault-corrupt-chunk", std::to_string(calibration_.mount.d6_chunks + 2)}, {});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  const auto requests = sequential_requests(16 * kMiB, 8 * kMiB, 256 * 1024);
  const ReadResult r = read_and_verify(sm.mnt("user_area.img"), 0, requests);
  EXPECT_FALSE(r.wrong) << *r.wrong;
  EXPECT_EQ(r.error, 0) << std::strerror(r.error) << "\n" << sm.log();
  EXPECT_EQ(r.bytes_ok, 8 * kMiB);
  const std::string log = sm.log();
  EXPECT_EQ(count_lines(log, "checksum mismatch"), 1u) << log;
  EXPECT_NE(log.find("retry 1 of 3"), std::string::npos) << log;
  EXPECT_TRUE(sm.process().unmount());
  EXPECT_EQ(sm.process().exit_code(), 0) << sm.log();
}

TEST_F(Checksum, PersistentMismatchIsEioAfterBoundedRetriesAndTheSessionStaysUsable) {
  const fs::path trace = disk_->temp().path() / "persistent-trace.txt";
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {"--fault-corrupt-from", std::to_string(calibration_.mount.d6_chunks), "--trace", trace.string()},
                  {"--rw"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  const TraceCounters before = count_trace(trace);

  const ReadResult r = read_and_verify(sm.mnt("user_area.img"), 0, {{20 * kMiB, 4096}});
  EXPECT_FALSE(r.wrong) << *r.wrong;
  EXPECT_EQ(r.error, EIO);
  EXPECT_EQ(r.bytes_ok, 0u);
  const TraceCounters after = count_trace(trace);
  // Each attempt of the cache is 1 + 3 D6 commands; the kernel asks at most a few times (read-ahead, then
  // the page itself). What matters: a small, fixed number, not a loop.
  const std::uint64_t attempts = after.d6_commands - before.d6_commands;
  EXPECT_GE(attempts, 4u);
  EXPECT_LE(attempts, 16u);
  std::printf("persistent checksum mismatch: %llu D6 commands before EIO\n", static_cast<unsigned long long>(attempts));
  const std::string log = sm.log();
  EXPECT_NE(log.find("checksum mismatch persisted after 3 retries"), std::string::npos) << log;

  // The DA answered every chunk, so the session is intact: an aligned write (no read needed) still works.
  std::mt19937_64 rng(5);
  const WriteResult w = write_and_sync(sm.mnt("user_area.img"), {WriteOp{190 * kMiB, random_bytes(rng, 64 * 1024)}});
  EXPECT_EQ(w.first_write_error(), 0);
  EXPECT_EQ(w.fsync_error, 0) << sm.log();
  EXPECT_TRUE(sm.process().unmount());
  EXPECT_EQ(sm.process().exit_code(), 0) << sm.log();
  EXPECT_EQ(check_written(*disk_, 0, 190 * kMiB - 4096, 190 * kMiB + 128 * 1024, w), std::nullopt);
}

}  // namespace
}  // namespace mtkfs::reliability
