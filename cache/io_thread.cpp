// The device I/O thread: the only thread that calls the BlockDevice (see cache.h).
#include <cstring>

#include <spdlog/spdlog.h>

#include "cache/cache_core.h"
#include "da/block_device.h"

namespace mtkfs::cache::detail {
namespace {

// Copies loaded bytes into the sectors the block does not know yet; sectors already valid were written
// (or filled) after the device read was issued and are newer than the device's copy.
void merge_loaded(Block& block, const std::uint8_t* loaded) {
  for (std::size_t from = 0;;) {
    auto [first, last] = block.valid.next_run(from, false);
    if (first >= last) break;
    std::memcpy(block.data.data() + first * kSector, loaded + first * kSector, (last - first) * kSector);
    from = last;
  }
  block.valid.set(0, block.valid.size());
}

}  // namespace

bool CacheCore::has_io_work() const {
  return !jobs_.empty() || !pending_loads_.empty() || !flush_jobs_.empty();
}

void CacheCore::io_loop() {
  Lock lk(mu_);
  for (;;) {
    io_cv_.wait(lk, [&] { return stopping_ || has_io_work(); });
    if (stopping_) break;
    // Priorities: short jobs a caller waits for, then loads a caller waits for, then flushes, then
    // read-ahead. Each step does at most one device call, so priorities are re-evaluated between calls.
    if (!jobs_.empty()) {
      job_step(lk);
    } else if (load_step(lk, true)) {
    } else if (!flush_jobs_.empty()) {
      flush_step(lk);
    } else {
      load_step(lk, false);
    }
  }
  // Shutting down: nothing queued may be left waiting forever.
  fail_queued_work(std::make_exception_ptr(da::DeviceError("the cache is shutting down")));
  for (const BlockKey& key : pending_loads_) {
    auto it = blocks_.find(key);
    if (it == blocks_.end()) continue;
    it->second.load_queued = false;
    it->second.load_error = "the cache is shutting down";
    ++it->second.load_seq;
  }
  pending_loads_.clear();
  state_cv_.notify_all();
}

CacheCore::DeviceOutcome CacheCore::call_device(Lock& lk, const std::function<void()>& call) {
  DeviceOutcome outcome;
  lk.unlock();
  try {
    call();
  } catch (const da::LinkLostError& e) {
    outcome = {e.what(), true};
  } catch (const std::exception& e) {
    outcome = {e.what(), false};
  }
  lk.lock();
  return outcome;
}

void CacheCore::fail_queued_work(const std::exception_ptr& error) {
  for (auto& job : jobs_) {
    job->error = error;
    job->done = true;
  }
  jobs_.clear();
  for (auto& job : flush_jobs_) {
    job->failed = true;
    job->done = true;
  }
  flush_jobs_.clear();
}

void CacheCore::job_step(Lock& lk) {
  auto job = jobs_.front();
  jobs_.pop_front();
  lk.unlock();
  std::string lost_reason;
  try {
    job->work(device_);
  } catch (const da::LinkLostError& e) {
    lost_reason = e.what();
    job->error = std::current_exception();
  } catch (...) {
    job->error = std::current_exception();
  }
  lk.lock();
  job->done = true;
  if (!lost_reason.empty()) enter_link_lost(lost_reason);
  state_cv_.notify_all();
}

bool CacheCore::load_step(Lock& lk, bool demand_only) {
  auto start = pending_loads_.begin();
  if (demand_only) {
    while (start != pending_loads_.end()) {
      auto it = blocks_.find(*start);
      if (it != blocks_.end() && it->second.pins > 0) break;
      ++start;
    }
  }
  if (start == pending_loads_.end()) return false;

  // Coalesce the queued loads that follow on the device into one read.
  std::vector<BlockKey> run{*start};
  std::size_t length = block_length(*start);
  auto next = std::next(start);
  while (next != pending_loads_.end() && next->part == run.back().part && next->index == run.back().index + 1 &&
         length + block_length(*next) <= options_.max_device_transfer) {
    length += block_length(*next);
    run.push_back(*next);
    ++next;
  }
  // The common case (sequential reading of blocks nobody wrote) goes straight into the blocks; the rest of
  // the run stays queued for the next step. Otherwise the transfer buffer, merged below.
  const std::size_t in_place = in_place_prefix(run);
  if (in_place > 0 && in_place < run.size()) {
    run.resize(in_place);
    next = std::next(start, static_cast<std::ptrdiff_t>(in_place));
    length = 0;
    for (const BlockKey& key : run) length += block_length(key);
  }
  pending_loads_.erase(start, next);
  const HwPartition part = run.front().part;
  const std::uint64_t offset = run.front().index * options_.block_size;
  std::uint8_t* target = nullptr;
  if (in_place > 0) {
    for (const BlockKey& key : run) blocks_.at(key).loading_in_place = true;
    target = blocks_.at(run.front()).data.data();
  } else {
    if (io_buffer_.size() < length) io_buffer_.resize(length);
    target = io_buffer_.data();
  }

  const auto began = ThroughputMeter::Clock::now();
  throughput_.start(began);
  auto [error, link_lost] =
      call_device(lk, [&] { device_.read(part, offset, std::span<std::uint8_t>(target, length)); });
  throughput_.finish(error.empty() ? length : 0, began, ThroughputMeter::Clock::now());
  ++stats_.device_reads;
  if (link_lost) {
    enter_link_lost(error);  // also ends every in-place load
    return true;
  }
  if (error.empty()) {
    stats_.device_read_bytes += length;
  } else {
    error = fmt::format("reading {} bytes at {}+{:#x} failed: {}", length, da::partition_name(part), offset, error);
    spdlog::warn("{}", error);
  }
  std::size_t pos = 0;
  for (const BlockKey& key : run) {
    auto it = blocks_.find(key);
    if (it != blocks_.end()) {
      Block& block = it->second;
      if (in_place > 0) {
        // On an error the bytes are garbage, but no sector of the block was valid to begin with.
        block.loading_in_place = false;
        if (error.empty()) block.valid.set(0, block.valid.size());
      } else if (error.empty()) {
        merge_loaded(block, io_buffer_.data() + pos);
      }
      if (error.empty() && block.pins == 0) ++stats_.prefetched_blocks;
      block.load_error = error;
      block.load_queued = false;
      ++block.load_seq;
    }
    pos += block_length(key);
  }
  state_cv_.notify_all();
  return true;
}

// How many leading blocks of `run` the device can write into directly: blocks that hold no valid sector yet
// (so nothing newer could be overwritten) and sit in consecutive pool slots.
std::size_t CacheCore::in_place_prefix(const std::vector<BlockKey>& run) const {
  std::size_t n = 0;
  const std::uint8_t* expected = nullptr;
  for (const BlockKey& key : run) {
    auto it = blocks_.find(key);
    if (it == blocks_.end()) break;
    const Block& block = it->second;
    if (block.valid.any() || (expected && block.data.data() != expected)) break;
    expected = block.data.data() + options_.block_size;
    ++n;
  }
  return n;
}

void CacheCore::enter_link_lost(const std::string& reason) {
  link_lost_ = true;
  link_lost_reason_ = reason;
  if (dirty_bytes_ > 0)
    spdlog::error("device link lost ({}); {} bytes written through the cache never reached the device", reason,
                  dirty_bytes_);
  else
    spdlog::error("device link lost ({})", reason);
  stats_.lost_dirty_bytes += dirty_bytes_;
  dirty_bytes_ = 0;

  fail_queued_work(std::make_exception_ptr(da::LinkLostError("device link lost: " + reason)));
  pending_loads_.clear();
  // Free the memory; blocks a caller still has pinned stay in the map (empty) until the process ends,
  // every later call fails before looking at them.
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    Block& block = it->second;
    block.load_queued = false;
    block.loading_in_place = false;  // called after the device call returned: nothing is in flight
    ++block.load_seq;
    block.valid.clear_all();
    block.dirty.clear_all();
    if (block.pins == 0 && block.writes_in_flight == 0) {
      pool_.discard(block.data.slot);
      lru_.erase(block.lru_pos);
      it = blocks_.erase(it);
    } else {
      ++it;  // its slot stays taken: nothing new is cached any more
    }
  }
  resident_ = 0;
  std::vector<std::uint8_t>().swap(io_buffer_);
  state_cv_.notify_all();
}

}  // namespace mtkfs::cache::detail
