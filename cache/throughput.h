// The device's recent throughput, for the live status file (fuse/status_text.h): bytes per second over
// the last few seconds. The cache feeds it the same byte counts it adds to CacheStats::device_read_bytes
// and device_write_bytes; it holds no total of its own. No locking: the cache uses it under its mutex.
//
// A device call only reports its bytes when it ends, and one call can move 32 MiB (a second or more on a
// slow link). So a finished transfer is spread evenly over the time it took, and while a call is in
// flight the window ends where that call began: the figure then describes the last 5 s that are known,
// instead of dropping towards 0 during every long call and jumping when it ends.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

namespace mtkfs::cache {

class ThroughputMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{5};

  explicit ThroughputMeter(Clock::time_point origin = Clock::now()) : origin_(origin) {}

  // A device call begins: until finish(), the window ends at `at`.
  void start(Clock::time_point at) { in_flight_since_ = at; }
  // The call that began at `began` ended at `ended` and moved `bytes` (0 when it failed).
  void finish(std::uint64_t bytes, Clock::time_point began, Clock::time_point ended);
  // Bytes moved by a short call that start() did not announce (read-modify-write sectors).
  void add(std::uint64_t bytes, Clock::time_point at) { spread(static_cast<double>(bytes), at, at); }

  // Bytes per second over the window that ends now, or where the call in flight began. A window shorter
  // than a second (just after the start) counts as one second, so the first transfer shows no spike.
  double bytes_per_second(Clock::time_point now) const;

 private:
  static constexpr std::chrono::milliseconds kBucket{250};
  static constexpr std::size_t kBuckets = 32;  // more than kWindow / kBucket + 2: the window always fits
  struct Bucket {
    std::int64_t index = -1;  // kBucket periods since origin_; -1 = never used
    double bytes = 0;
  };

  std::int64_t bucket_of(Clock::time_point t) const;
  Clock::time_point bucket_start(std::int64_t index) const { return origin_ + kBucket * index; }
  void spread(double bytes, Clock::time_point began, Clock::time_point ended);

  Clock::time_point origin_;
  std::optional<Clock::time_point> in_flight_since_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace mtkfs::cache
