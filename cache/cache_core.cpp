// Cache bookkeeping and the caller side of reads and writes (see cache.h for the thread model).
#include "cache/cache_core.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "da/block_device.h"

namespace mtkfs::cache::detail {
namespace {

constexpr HwPartition kAllPartitions[] = {HwPartition::boot1, HwPartition::boot2, HwPartition::rpmb,
                                          HwPartition::gp1,   HwPartition::gp2,   HwPartition::gp3,
                                          HwPartition::gp4,   HwPartition::user};

std::size_t part_index(HwPartition part) { return static_cast<std::size_t>(part); }

CacheOptions checked(CacheOptions o) {
  if (o.block_size == 0 || o.block_size % kSector != 0)
    throw std::invalid_argument("cache block size must be a non-zero multiple of 512 bytes");
  if (o.cache_size < 4 * o.block_size)
    throw std::invalid_argument("cache size must hold at least 4 blocks");
  if (o.max_device_transfer < o.block_size || o.max_device_transfer % kSector != 0)
    throw std::invalid_argument("max device transfer must be a multiple of 512 and at least one block");
  // A window larger than a quarter of the cache would evict its own read-ahead before it is read.
  o.readahead_max = std::max(std::min(o.readahead_max, o.cache_size / 4), o.block_size);
  o.readahead_initial = std::clamp(o.readahead_initial, o.block_size, o.readahead_max);
  return o;
}

}  // namespace

CacheCore::CacheCore(da::BlockDevice& device, const CacheOptions& options)
    : device_(device),
      options_(checked(options)),
      pool_(options_.block_size, options_.cache_size / options_.block_size),
      readahead_(ReadaheadConfig{options_.block_size, options_.readahead_initial, options_.readahead_max}) {
  for (HwPartition part : kAllPartitions) {
    const std::uint64_t size = device_.size(part);
    if (size % kSector != 0)
      spdlog::warn("{} size {} is not a whole number of sectors; the last {} bytes are not accessible",
                   da::partition_name(part), size, size % kSector);
    sizes_[part_index(part)] = size - size % kSector;
  }
  io_thread_ = std::thread([this] { io_loop(); });
}

CacheCore::~CacheCore() { stop(); }

void CacheCore::stop() {
  {
    Lock lk(mu_);
    if (stopping_ && !io_thread_.joinable()) return;
    stopping_ = true;
  }
  io_cv_.notify_all();
  if (io_thread_.joinable()) io_thread_.join();
  Lock lk(mu_);
  if (dirty_bytes_ > 0) {
    spdlog::error("{} bytes written through the cache never reached the device and are lost", dirty_bytes_);
    stats_.lost_dirty_bytes += dirty_bytes_;
    dirty_bytes_ = 0;
  }
}

std::uint64_t CacheCore::size(HwPartition part) const {
  const std::size_t i = part_index(part);
  return i < sizes_.size() ? sizes_[i] : 0;
}

void CacheCore::check_range(HwPartition part, std::uint64_t offset, std::uint64_t length) const {
  const std::uint64_t limit = size(part);
  if (offset > limit || length > limit - offset)
    throw std::out_of_range("range " + std::to_string(offset) + "+" + std::to_string(length) +
                            " is outside " + da::partition_name(part) + " (" + std::to_string(limit) +
                            " bytes)");
}

std::size_t CacheCore::block_length(const BlockKey& key) const {
  const std::uint64_t begin = key.index * options_.block_size;
  return static_cast<std::size_t>(std::min<std::uint64_t>(options_.block_size, size(key.part) - begin));
}

BlockKey CacheCore::key_of(HwPartition part, std::uint64_t offset) const {
  return BlockKey{part, offset / options_.block_size};
}

void CacheCore::throw_if_link_lost() const {
  if (link_lost_) throw da::LinkLostError("device link lost: " + link_lost_reason_);
  if (stopping_) throw da::DeviceError("the cache is shutting down");
}

StreamId CacheCore::open_stream() {
  Lock lk(mu_);
  return readahead_.open();
}

void CacheCore::close_stream(StreamId stream) {
  Lock lk(mu_);
  readahead_.close(stream);
}

CacheStats CacheCore::stats() const {
  Lock lk(mu_);
  CacheStats s = stats_;
  s.resident_bytes = resident_;
  s.dirty_bytes = dirty_bytes_;
  s.writing_bytes = writing_bytes_;
  s.link_lost = link_lost_;
  s.link_lost_reason = link_lost_reason_;
  s.link = device_.link_status();  // thread-safe by contract, and never waits for the device
  s.recent_bytes_per_second = throughput_.bytes_per_second(ThroughputMeter::Clock::now());
  return s;
}

void CacheCore::touch(Block& block) { lru_.splice(lru_.end(), lru_, block.lru_pos); }

bool CacheCore::evict_one() {
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    auto found = blocks_.find(*it);
    if (found == blocks_.end()) continue;
    Block& b = found->second;
    if (b.pins > 0 || b.load_queued || b.writes_in_flight > 0 || b.dirty.any()) continue;
    resident_ -= b.data.size();
    pool_.release(b.data.slot);
    lru_.erase(it);
    blocks_.erase(found);
    ++stats_.evictions;
    return true;
  }
  return false;
}

bool CacheCore::evict_until_fits(std::size_t bytes) {
  // A block takes a whole pool slot even when it is shorter (a partition's last block).
  while (resident_ + bytes > options_.cache_size || !pool_.has_free())
    if (!evict_one()) return false;
  return true;
}

void CacheCore::make_room(Lock& lk, std::size_t bytes) {
  std::shared_ptr<FlushJob> pressure;
  while (!evict_until_fits(bytes)) {
    throw_if_link_lost();
    if (pressure && pressure->done) {
      if (pressure->failed)
        throw da::DeviceError("the cache is full of written data that cannot be written to the device");
      pressure.reset();
    }
    // Everything resident is dirty, loading or in use: writing dirty data back is what frees memory.
    if (!pressure && dirty_bytes_ > 0) pressure = start_background_writeback();
    state_cv_.wait(lk);
  }
}

Block& CacheCore::create_block(const BlockKey& key) {
  const std::size_t length = block_length(key);
  auto [pos, inserted] = blocks_.try_emplace(key);
  Block& b = pos->second;
  const std::size_t slot = pool_.acquire();
  b.data = BlockBytes{pool_.data(slot), length, slot};
  b.valid = SectorBitmap(length / kSector);
  b.dirty = SectorBitmap(length / kSector);
  b.lru_pos = lru_.insert(lru_.end(), key);
  resident_ += length;
  stats_.peak_resident_bytes = std::max<std::uint64_t>(stats_.peak_resident_bytes, resident_);
  return b;
}

Block& CacheCore::pin_block(Lock& lk, const BlockKey& key) {
  for (;;) {
    auto it = blocks_.find(key);
    if (it != blocks_.end()) {
      ++it->second.pins;
      return it->second;
    }
    make_room(lk, block_length(key));
    throw_if_link_lost();
    if (blocks_.count(key) != 0) continue;  // created by someone else while we waited
    Block& b = create_block(key);
    b.pins = 1;
    return b;
  }
}

void CacheCore::count_and_queue_load(const BlockKey& key, Block& block, std::size_t first, std::size_t last) {
  if (block.valid.all(first, last)) {
    ++stats_.hits;
  } else {
    ++stats_.misses;
    if (!block.load_queued) queue_load(key, block);
  }
}

void CacheCore::queue_load(const BlockKey& key, Block& block) {
  block.load_queued = true;
  pending_loads_.insert(key);
}

void CacheCore::set_readahead_skip(Cache::ReadaheadSkip skip) {
  Lock lk(mu_);
  readahead_skip_ = std::move(skip);
}

void CacheCore::queue_readahead(HwPartition part, ByteRange range) {
  if (range.empty()) return;
  const BlockKey first = key_of(part, range.begin);
  const BlockKey last = key_of(part, range.end - 1);
  for (std::uint64_t index = first.index; index <= last.index; ++index) {
    const BlockKey key{part, index};
    if (readahead_skip_ && readahead_skip_(part, index * options_.block_size, block_length(key))) continue;
    auto it = blocks_.find(key);
    if (it != blocks_.end()) {
      Block& b = it->second;
      if (!b.load_queued && !b.valid.all(0, b.valid.size())) queue_load(key, b);
      continue;
    }
    // Read-ahead never waits for memory: if nothing clean can go, it is skipped.
    if (!evict_until_fits(block_length(key))) return;
    queue_load(key, create_block(key));
  }
}

void CacheCore::wait_for_load(Lock& lk, Block& block) {
  const std::uint64_t seq = block.load_seq;
  state_cv_.wait(lk, [&] { return link_lost_ || stopping_ || block.load_seq != seq; });
  throw_if_link_lost();
  if (!block.load_error.empty()) throw da::DeviceError(block.load_error);
}

void CacheCore::wait_valid(Lock& lk, const BlockKey& key, Block& block, std::size_t first, std::size_t last) {
  for (;;) {
    throw_if_link_lost();
    if (block.valid.all(first, last)) return;
    if (!block.load_queued) {
      queue_load(key, block);
      io_cv_.notify_one();
    }
    wait_for_load(lk, block);
  }
}

void CacheCore::run_job(Lock& lk, std::function<void(da::BlockDevice&)> work) {
  throw_if_link_lost();
  auto job = std::make_shared<DeviceJob>();
  job->work = std::move(work);
  jobs_.push_back(job);
  io_cv_.notify_one();
  state_cv_.wait(lk, [&] { return job->done; });
  if (job->error) std::rethrow_exception(job->error);
}

void CacheCore::read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out, StreamId stream) {
  check_range(part, offset, out.size());
  if (out.empty()) return;
  Lock lk(mu_);
  throw_if_link_lost();
  const std::uint64_t end = offset + out.size();
  const ByteRange ahead = readahead_.on_read(stream, part, offset, out.size(), size(part));
  bool queued_ahead = false;
  for_each_piece(part, offset, out.size(), [&](const BlockPiece& p) {
    Block& block = pin_block(lk, p.key);
    PinGuard pin(block, state_cv_);
    count_and_queue_load(p.key, block, p.first_sector(), p.end_sector());
    if (!queued_ahead) {
      // Queued together with the miss so the I/O thread turns them into one device read.
      const std::uint64_t pos = offset + p.at;
      queue_readahead(part, {pos, std::min(end, pos + options_.readahead_max)});
      queue_readahead(part, ahead);
      queued_ahead = true;
    }
    io_cv_.notify_one();
    wait_valid(lk, p.key, block, p.first_sector(), p.end_sector());
    std::memcpy(out.data() + p.at, block.data.data() + p.in_block, p.length);
    touch(block);
  });
}

void CacheCore::fill_partial_sectors(Lock& lk, const BlockKey& key, Block& block, std::size_t begin,
                                     std::size_t end) {
  // Only a sector the write covers partly needs its old bytes (read-modify-write).
  std::vector<std::size_t> partial;
  const std::size_t head = begin / kSector;
  const std::size_t tail = (end - 1) / kSector;
  if (begin % kSector != 0 || (head == tail && end % kSector != 0)) partial.push_back(head);
  if (end % kSector != 0 && tail != head) partial.push_back(tail);
  for (;;) {
    throw_if_link_lost();
    std::erase_if(partial, [&](std::size_t s) { return block.valid.test(s); });
    if (partial.empty()) return;
    if (block.load_queued) {
      wait_for_load(lk, block);
      continue;
    }
    const std::uint64_t block_offset = key.index * options_.block_size;
    std::vector<std::uint8_t> bytes(partial.size() * kSector);
    run_job(lk, [&](da::BlockDevice& device) {
      for (std::size_t i = 0; i < partial.size(); ++i)
        device.read(key.part, block_offset + partial[i] * kSector, std::span(bytes).subspan(i * kSector, kSector));
    });
    throw_if_link_lost();  // the link may have gone while we waited; the block bytes are gone then
    wait_until_writable(lk, block);
    stats_.device_reads += partial.size();
    stats_.rmw_reads += partial.size();
    stats_.device_read_bytes += bytes.size();
    throughput_.add(bytes.size(), ThroughputMeter::Clock::now());
    for (std::size_t i = 0; i < partial.size(); ++i) {
      if (block.valid.test(partial[i])) continue;  // written or loaded meanwhile: that copy is newer
      std::memcpy(block.data.data() + partial[i] * kSector, bytes.data() + i * kSector, kSector);
      block.valid.set(partial[i], partial[i] + 1);
    }
  }
}

void CacheCore::write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) {
  check_range(part, offset, data.size());
  if (data.empty()) return;
  Lock lk(mu_);
  throw_if_link_lost();
  for_each_piece(part, offset, data.size(), [&](const BlockPiece& p) {
    Block& block = pin_block(lk, p.key);
    PinGuard pin(block, state_cv_);
    fill_partial_sectors(lk, p.key, block, p.in_block, p.in_block + p.length);
    wait_until_writable(lk, block);
    std::memcpy(block.data.data() + p.in_block, data.data() + p.at, p.length);
    block.valid.set(p.first_sector(), p.end_sector());
    dirty_bytes_ += block.dirty.set(p.first_sector(), p.end_sector()) * kSector;
    touch(block);
  });
  // Start writing back early so a later flush or a memory shortage has less to wait for: as soon as one
  // full device transfer is dirty (waiting for half the cache left a 40 MB/s link idle while the first
  // 128 MiB of a big write arrived; docs/performance.md). After a failed background write-back only
  // explicit flushes and memory pressure retry, so a broken device is not hammered on every write.
  const bool background_failed = background_job_ && background_job_->done && background_job_->failed;
  const std::uint64_t early = std::min<std::uint64_t>(options_.cache_size / 2, options_.max_device_transfer);
  if (dirty_bytes_ >= early && !background_failed) start_background_writeback();
}

std::string CacheCore::describe_device() {
  Lock lk(mu_);
  std::string text;
  run_job(lk, [&](da::BlockDevice& device) { text = device.describe(); });
  return text;
}

}  // namespace mtkfs::cache::detail
