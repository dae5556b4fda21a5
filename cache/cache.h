// Sector cache between the FUSE filesystem and the device.
//
// Thread model: ONE device I/O thread (started by the constructor, joined by the destructor) is the only
// thread that ever calls the BlockDevice, because the DA session is strictly sequential and not
// thread-safe. Any number of caller threads (FUSE workers) call read/write/flush; they queue work for the
// I/O thread and wait on condition variables. One mutex guards the cache's bookkeeping and block bytes;
// it is never held while the device works. A sequential load of blocks nobody has written goes from the
// device straight into those blocks (they are marked, and writers wait for it); other loads and all
// write-backs go through a private transfer buffer that is merged/filled under the mutex.
// read_in_place callers use a pinned block's bytes without the mutex; writers wait for them too.
//
// Memory: at most `cache_size` bytes of blocks (one mapping, touched as it is used: BlockPool), plus one
// transfer buffer of at most `max_device_transfer` bytes owned by the I/O thread.
//
// Because the constructor starts a thread, a process that wants to fork (daemonize) must do so before
// constructing its long-lived Cache (a short-lived Cache destroyed before the fork is fine).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "cache/readahead.h"
#include "da/block_device.h"

namespace mtkfs::cache {

using da::HwPartition;

struct CacheOptions {
  std::size_t block_size = std::size_t{1} << 20;        // multiple of 512
  std::size_t cache_size = std::size_t{256} << 20;      // at least 4 blocks
  std::size_t readahead_initial = std::size_t{1} << 20;
  std::size_t readahead_max = std::size_t{64} << 20;    // capped to cache_size / 4
  std::size_t max_device_transfer = std::size_t{32} << 20;  // largest single device read or write
};

struct CacheStats {
  std::uint64_t device_reads = 0;        // BlockDevice::read calls (loads and read-modify-write)
  std::uint64_t device_read_bytes = 0;
  std::uint64_t device_writes = 0;       // BlockDevice::write calls
  std::uint64_t device_write_bytes = 0;
  std::uint64_t hits = 0;                // blocks a read found ready
  std::uint64_t misses = 0;              // blocks a read had to wait for
  std::uint64_t prefetched_blocks = 0;   // blocks loaded by read-ahead before anyone asked
  std::uint64_t rmw_reads = 0;           // device reads for partially written sectors
  std::uint64_t evictions = 0;
  std::uint64_t write_failures = 0;      // device writes that failed (data kept dirty)
  std::uint64_t write_failure_bytes = 0;  // the bytes those writes carried (a retried failure counts again)
  std::uint64_t resident_bytes = 0;
  std::uint64_t peak_resident_bytes = 0;  // never above cache_size
  std::uint64_t dirty_bytes = 0;
  std::uint64_t writing_bytes = 0;       // taken from dirty_bytes by the write call in flight (dirty again if it fails)
  bool link_lost = false;
  std::string link_lost_reason;
  da::LinkStatus link;                   // the device's own view: reconnecting (I/O held), reconnects so far
  std::uint64_t lost_dirty_bytes = 0;    // written by callers but never reached the device
  double recent_bytes_per_second = 0;    // device reads + writes over the last few seconds (throughput.h)

  // Written through the cache and not on the device: still dirty, being written, or lost with the link.
  std::uint64_t unwritten_bytes() const { return dirty_bytes + writing_bytes + lost_dirty_bytes; }
};

namespace detail {
class CacheCore;
}

class Cache {
 public:
  // Reads the partition sizes from `device` (on the calling thread) and starts the device I/O thread.
  // Throws std::invalid_argument for inconsistent options.
  Cache(da::BlockDevice& device, CacheOptions options = {});
  // Writes back all dirty data; whatever cannot be written is logged with its byte count.
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Partition size as reported by the device (rounded down to whole sectors); 0 if absent.
  std::uint64_t size(HwPartition part) const;
  const CacheOptions& options() const;

  // A stream is the read-ahead context of one reader (one open file). kNoStream disables read-ahead.
  StreamId open_stream();
  // Blocks lying wholly in bytes nobody will ask the device for (skip_free's free filesystem blocks, which
  // the filesystem serves as zeros) are left out of read-ahead: `skip(part, offset, length)` says which.
  // Set before the cache is used by more than one thread.
  using ReadaheadSkip = std::function<bool(HwPartition, std::uint64_t offset, std::uint64_t length)>;
  void set_readahead_skip(ReadaheadSkip skip);
  void close_stream(StreamId stream);

  // Any offset/length inside the partition (not necessarily sector aligned).
  // Throw std::out_of_range when [offset, offset + length) leaves the partition, da::LinkLostError once
  // the link is gone, da::DeviceError when the device fails.
  void read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out,
            StreamId stream = kNoStream);
  // read() without the copy, for a range inside ONE cache block (offset / block_size is the same for its
  // first and last byte; std::invalid_argument otherwise): `consume` gets the cached bytes themselves. It
  // runs without the cache mutex (it may block, e.g. in writev to /dev/fuse, but must not call the cache);
  // the block stays pinned and its bytes do not change meanwhile (writes to it wait). Exceptions from
  // `consume` pass through.
  void read_in_place(HwPartition part, std::uint64_t offset, std::size_t length, StreamId stream,
                     const std::function<void(std::span<const std::uint8_t>)>& consume);
  void write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data);

  // Writes the dirty data of the range (whole partition / everything) to the device and waits for it.
  // Throws da::DeviceError if a write of data in the range failed since the last flush that reported it
  // (the data stays dirty and is retried by later flushes), da::LinkLostError once the link is gone.
  void flush_range(HwPartition part, std::uint64_t offset, std::uint64_t length);
  void flush(HwPartition part);
  void flush_all();

  // BlockDevice::describe(), run on the I/O thread.
  std::string describe_device();

  CacheStats stats() const;

 private:
  std::unique_ptr<detail::CacheCore> core_;
};

}  // namespace mtkfs::cache
