#include <gtest/gtest.h>

#include "cache/readahead.h"

namespace mtkfs::cache {
namespace {

constexpr auto kUser = wire::HwPartition::user;
constexpr std::uint64_t kMiB = 1 << 20;

TEST(Readahead, SequentialStreamRampsUpToHalfWindowSteps) {
  ReadaheadTracker t({kMiB, kMiB, 64 * kMiB});
  const auto s = t.open();
  std::vector<ByteRange> loads;
  for (std::uint64_t off = 0; off < 256 * kMiB; off += 128 * 1024) {
    auto r = t.on_read(s, kUser, off, 128 * 1024, 1024 * kMiB);
    if (!r.empty()) loads.push_back(r);
  }
  ASSERT_GE(loads.size(), 8u);
  EXPECT_EQ(loads[0].begin, 0u);
  EXPECT_EQ(loads[0].end, 2 * kMiB);
  for (std::size_t i = 1; i < loads.size(); ++i) {
    EXPECT_EQ(loads[i].begin, loads[i - 1].end) << "contiguous, nothing requested twice";
    EXPECT_EQ(loads[i].begin % kMiB, 0u);
    EXPECT_EQ(loads[i].end % kMiB, 0u);
  }
  EXPECT_EQ(loads.back().end - loads.back().begin, 32 * kMiB) << "steady state: half of the 64 MiB window";
}

TEST(Readahead, RandomAccessStopsReadAhead) {
  ReadaheadTracker t({kMiB, kMiB, 64 * kMiB});
  const auto s = t.open();
  EXPECT_FALSE(t.on_read(s, kUser, 0, 4096, 1024 * kMiB).empty());  // first read: initial window
  EXPECT_TRUE(t.on_read(s, kUser, 500 * kMiB, 4096, 1024 * kMiB).empty());
  EXPECT_TRUE(t.on_read(s, kUser, 100 * kMiB, 4096, 1024 * kMiB).empty());
  EXPECT_FALSE(t.on_read(s, kUser, 100 * kMiB + 4096, 4096, 1024 * kMiB).empty()) << "sequential again";
}

TEST(Readahead, NeverPastThePartitionEnd) {
  ReadaheadTracker t({kMiB, kMiB, 64 * kMiB});
  const auto s = t.open();
  for (std::uint64_t off = 0; off < 10 * kMiB; off += 128 * 1024) {
    auto r = t.on_read(s, kUser, off, 128 * 1024, 10 * kMiB);
    EXPECT_LE(r.end, 10 * kMiB);
  }
}

TEST(Readahead, NoStreamNoReadAhead) {
  ReadaheadTracker t({kMiB, kMiB, 64 * kMiB});
  EXPECT_TRUE(t.on_read(kNoStream, kUser, 0, 4096, 1024 * kMiB).empty());
  const auto s = t.open();
  t.close(s);
  EXPECT_TRUE(t.on_read(s, kUser, 0, 4096, 1024 * kMiB).empty());
  EXPECT_EQ(t.open_streams(), 0u);
}

}  // namespace
}  // namespace mtkfs::cache
