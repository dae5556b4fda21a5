#include "cache/cache.h"

#include <spdlog/spdlog.h>

#include "cache/cache_core.h"

namespace mtkfs::cache {

Cache::Cache(da::BlockDevice& device, CacheOptions options)
    : core_(std::make_unique<detail::CacheCore>(device, options)) {}

Cache::~Cache() {
  try {
    core_->flush_all();
  } catch (const da::LinkLostError&) {
    // Nothing can be written any more; the loss and the bytes it cost were logged when the link went.
  } catch (const std::exception& e) {
    spdlog::error("final write-back failed: {}", e.what());
  }
  core_->stop();
}

std::uint64_t Cache::size(HwPartition part) const { return core_->size(part); }
const CacheOptions& Cache::options() const { return core_->options(); }
StreamId Cache::open_stream() { return core_->open_stream(); }
void Cache::set_readahead_skip(ReadaheadSkip skip) { core_->set_readahead_skip(std::move(skip)); }
void Cache::close_stream(StreamId stream) { core_->close_stream(stream); }

void Cache::read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out, StreamId stream) {
  core_->read(part, offset, out, stream);
}

void Cache::read_in_place(HwPartition part, std::uint64_t offset, std::size_t length, StreamId stream,
                          const std::function<void(std::span<const std::uint8_t>)>& consume) {
  core_->read_in_place(part, offset, length, stream, consume);
}

void Cache::write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) {
  core_->write(part, offset, data);
}

void Cache::flush_range(HwPartition part, std::uint64_t offset, std::uint64_t length) {
  core_->flush_range(part, offset, length);
}

void Cache::flush(HwPartition part) { core_->flush_range(part, 0, core_->size(part)); }
void Cache::flush_all() { core_->flush_all(); }
std::string Cache::describe_device() { return core_->describe_device(); }
CacheStats Cache::stats() const { return core_->stats(); }

}  // namespace mtkfs::cache
