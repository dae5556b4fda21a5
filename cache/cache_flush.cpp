// Write-back: flush requests from callers and the I/O thread's coalesced device writes.
#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "cache/cache_core.h"
#include "da/block_device.h"

namespace mtkfs::cache::detail {
namespace {

std::string describe_range(HwPartition part, std::uint64_t begin, std::uint64_t end) {
  return fmt::format("{} bytes at {}+{:#x}", end - begin, da::partition_name(part), begin);
}

}  // namespace

std::vector<BlockKey> CacheCore::dirty_keys(HwPartition part, std::uint64_t begin, std::uint64_t end) const {
  std::vector<BlockKey> keys;
  for (auto it = blocks_.lower_bound(key_of(part, begin));
       it != blocks_.end() && it->first.part == part && it->first.index * options_.block_size < end; ++it)
    if (it->second.dirty.any()) keys.push_back(it->first);
  return keys;
}

bool CacheCore::writes_in_flight(HwPartition part, std::uint64_t begin, std::uint64_t end) const {
  for (auto it = blocks_.lower_bound(key_of(part, begin));
       it != blocks_.end() && it->first.part == part && it->first.index * options_.block_size < end; ++it)
    if (it->second.writes_in_flight > 0) return true;
  return false;
}

std::shared_ptr<FlushJob> CacheCore::queue_flush(std::vector<BlockKey> keys) {
  auto job = std::make_shared<FlushJob>();
  job->keys = std::move(keys);
  flush_jobs_.push_back(job);
  io_cv_.notify_one();
  return job;
}

std::shared_ptr<FlushJob> CacheCore::start_background_writeback() {
  if (background_job_ && !background_job_->done) return background_job_;
  std::vector<BlockKey> keys;
  for (const auto& [key, block] : blocks_)
    if (block.dirty.any()) keys.push_back(key);
  background_job_ = queue_flush(std::move(keys));
  return background_job_;
}

void CacheCore::report_failures(HwPartition part, std::uint64_t begin, std::uint64_t end, std::uint64_t since) {
  // A flush reports every failed write of its range that happened while it ran (another flush waiting for
  // the same write may have reported it first: the data is still only in the cache, so both must fail),
  // and every older failure nobody reported yet (a background write-back's). The part of a failure outside
  // the flushed range stays unreported for the flush of whatever covers that part.
  std::vector<WriteFailure> kept;
  std::vector<WriteFailure> reported;
  for (auto& f : failures_) {
    if (f.part != part || f.end <= begin || f.begin >= end || (f.reported && f.seq < since)) {
      kept.push_back(f);
      continue;
    }
    reported.push_back(f);
    if (f.begin < begin) kept.push_back({f.part, f.begin, begin, f.message, f.seq, f.reported});
    if (f.end > end) kept.push_back({f.part, end, f.end, f.message, f.seq, f.reported});
    kept.push_back({f.part, std::max(f.begin, begin), std::min(f.end, end), f.message, f.seq, true});
  }
  failures_ = std::move(kept);
  if (reported.empty()) return;
  std::string message = "writing " + describe_range(part, reported[0].begin, reported[0].end) +
                        " to the device failed: " + reported[0].message;
  if (reported.size() > 1) message += fmt::format(" (and {} more failed writes)", reported.size() - 1);
  throw da::DeviceError(message);
}

// A reported failure is only needed by flushes that were already running when it happened.
void CacheCore::forget_reported_failures() {
  const std::uint64_t oldest = flushes_since_.empty() ? next_failure_seq_ : *flushes_since_.begin();
  std::erase_if(failures_, [&](const WriteFailure& f) { return f.reported && f.seq < oldest; });
}

void CacheCore::flush_range(HwPartition part, std::uint64_t offset, std::uint64_t length) {
  check_range(part, offset, length);
  Lock lk(mu_);
  throw_if_link_lost();
  const std::uint64_t since = next_failure_seq_;
  // Registered until this flush returns or throws (destroyed before `lk`, so with mu_ held).
  struct Running {
    CacheCore& core;
    std::multiset<std::uint64_t>::iterator at;
    ~Running() {
      core.flushes_since_.erase(at);
      core.forget_reported_failures();
    }
  } running{*this, flushes_since_.insert(since)};
  const std::uint64_t end = offset + length;
  auto keys = dirty_keys(part, offset, end);
  if (!keys.empty()) {
    auto job = queue_flush(std::move(keys));
    state_cv_.wait(lk, [&] { return job->done; });
  }
  // A background write-back may still be writing data of this range; its outcome belongs to this flush.
  state_cv_.wait(lk, [&] { return link_lost_ || stopping_ || !writes_in_flight(part, offset, end); });
  throw_if_link_lost();
  report_failures(part, offset, end, since);
}

void CacheCore::flush_all() {
  {
    Lock lk(mu_);
    throw_if_link_lost();
  }
  std::string errors;
  for (std::size_t i = 0; i < sizes_.size(); ++i) {
    if (sizes_[i] == 0) continue;
    try {
      flush_range(static_cast<HwPartition>(i), 0, sizes_[i]);
    } catch (const da::LinkLostError&) {
      throw;
    } catch (const da::DeviceError& e) {
      errors += errors.empty() ? e.what() : std::string("; ") + e.what();
    }
  }
  if (!errors.empty()) throw da::DeviceError(errors);
}

// One step of the front flush job: gathers the next run of dirty sectors that are contiguous on the device
// (across blocks, up to max_device_transfer) into the transfer buffer and writes it with one device call.
void CacheCore::flush_step(Lock& lk) {
  auto job = flush_jobs_.front();
  struct Piece {
    BlockKey key;
    std::size_t first, last;
  };
  std::vector<Piece> pieces;
  HwPartition part = HwPartition::user;
  std::uint64_t run_offset = 0;
  std::size_t run_length = 0;
  while (job->key_cursor < job->keys.size()) {
    const BlockKey key = job->keys[job->key_cursor];
    auto it = blocks_.find(key);
    auto [first, last] = it == blocks_.end() ? std::pair<std::size_t, std::size_t>{0, 0}
                                             : it->second.dirty.next_run(job->sector_cursor);
    if (first >= last) {
      ++job->key_cursor;
      job->sector_cursor = 0;
      continue;
    }
    const std::uint64_t offset = key.index * options_.block_size + first * kSector;
    if (run_length > 0 && (key.part != part || run_offset + run_length != offset)) break;
    const std::size_t room = (options_.max_device_transfer - run_length) / kSector;
    if (room == 0) break;
    last = std::min(last, first + room);
    if (run_length == 0) {
      part = key.part;
      run_offset = offset;
    }
    Block& block = it->second;
    const std::size_t bytes = (last - first) * kSector;
    if (io_buffer_.size() < run_length + bytes) io_buffer_.resize(run_length + bytes);
    std::memcpy(io_buffer_.data() + run_length, block.data.data() + first * kSector, bytes);
    dirty_bytes_ -= block.dirty.clear(first, last) * kSector;
    ++block.writes_in_flight;
    pieces.push_back({key, first, last});
    run_length += bytes;
    job->sector_cursor = last;
  }
  if (run_length == 0) {
    job->done = true;
    flush_jobs_.pop_front();
    state_cv_.notify_all();
    return;
  }

  const auto began = ThroughputMeter::Clock::now();
  throughput_.start(began);
  writing_bytes_ = run_length;
  const auto [error, link_lost] = call_device(lk, [&] {
    device_.write(part, run_offset, std::span<const std::uint8_t>(io_buffer_.data(), run_length));
  });
  writing_bytes_ = 0;
  throughput_.finish(error.empty() ? run_length : 0, began, ThroughputMeter::Clock::now());
  ++stats_.device_writes;
  for (const Piece& piece : pieces) {
    Block& block = blocks_.at(piece.key);  // writes_in_flight kept it from being evicted
    --block.writes_in_flight;
    // The data is still in the block: keep it dirty so a later flush retries instead of losing it.
    if (!error.empty()) dirty_bytes_ += block.dirty.set(piece.first, piece.last) * kSector;
  }
  if (link_lost) {
    enter_link_lost(error);
  } else if (!error.empty()) {
    ++stats_.write_failures;
    stats_.write_failure_bytes += run_length;
    job->failed = true;
    failures_.push_back({part, run_offset, run_offset + run_length, error, next_failure_seq_++});
    spdlog::error("writing {} failed (kept in the cache, will be retried by the next flush): {}",
                  describe_range(part, run_offset, run_offset + run_length), error);
  } else {
    stats_.device_write_bytes += run_length;
  }
  state_cv_.notify_all();
}

}  // namespace mtkfs::cache::detail
