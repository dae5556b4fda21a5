#include "cache/throughput.h"

#include <algorithm>

namespace mtkfs::cache {
namespace {

double seconds(ThroughputMeter::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::int64_t ThroughputMeter::bucket_of(Clock::time_point t) const {
  if (t <= origin_) return 0;
  return static_cast<std::int64_t>((t - origin_) / kBucket);
}

void ThroughputMeter::finish(std::uint64_t bytes, Clock::time_point began, Clock::time_point ended) {
  in_flight_since_.reset();
  if (bytes > 0) spread(static_cast<double>(bytes), began, ended);
}

void ThroughputMeter::spread(double bytes, Clock::time_point began, Clock::time_point ended) {
  if (ended < began) began = ended;
  const std::int64_t last = bucket_of(ended);
  // Buckets older than the ring are past every window a later call can ask for.
  const std::int64_t first = std::max(bucket_of(began), last - static_cast<std::int64_t>(kBuckets) + 1);
  const double duration = seconds(ended - began);
  for (std::int64_t i = first; i <= last; ++i) {
    Bucket& bucket = buckets_[static_cast<std::size_t>(i) % kBuckets];
    if (bucket.index > i) continue;  // the slot already holds a newer period
    if (bucket.index != i) bucket = {i, 0};
    if (duration <= 0) {
      bucket.bytes += bytes;
    } else {
      const auto from = std::max(began, bucket_start(i));
      const auto to = std::min(ended, bucket_start(i + 1));
      if (to > from) bucket.bytes += bytes * seconds(to - from) / duration;
    }
  }
}

double ThroughputMeter::bytes_per_second(Clock::time_point now) const {
  const Clock::time_point end = in_flight_since_ ? std::min(*in_flight_since_, now) : now;
  const Clock::time_point begin = std::max(end - kWindow, origin_);
  if (end <= begin) return 0;
  double bytes = 0;
  const std::int64_t last = bucket_of(end);
  for (const Bucket& bucket : buckets_) {
    if (bucket.index < 0 || bucket.index > last) continue;
    // The bucket holding the window's end holds nothing later than that end: it counts whole. One the
    // window's start cuts counts in proportion (its bytes are taken as evenly spread over it).
    const auto from = std::max(begin, bucket_start(bucket.index));
    const auto to = bucket.index == last ? bucket_start(last + 1) : std::min(end, bucket_start(bucket.index + 1));
    if (to > from) bytes += bucket.bytes * seconds(to - from) / seconds(kBucket);
  }
  return bytes / std::max(seconds(end - begin), 1.0);
}

}  // namespace mtkfs::cache
