// Internals shared by the FUSE callbacks (fs_ops.cpp) and the mount/loop code (fuse_mount.cpp).
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/cache.h"
#include "fuse/filesystem.h"
#include "fuse/free_space.h"
#include "fuse/fs_tree.h"

namespace mtkfs::fusefs {

// The largest request the kernel may send (max_read / max_write, and the block size we advertise).
// The mount options and the INIT reply must say the same, or the kernel takes the smaller.
inline constexpr unsigned kMaxTransfer = 1u << 20;

// One open file (fuse_file_info::fh).
struct OpenFile {
  const Node* node;
  cache::StreamId stream;
  bool for_write;
  std::string status;  // status.txt: its text as it was when this open made it
};

// Everything a callback needs; lives on run_filesystem's stack while the loop runs.
struct Filesystem {
  Filesystem(const FsOptions& o, cache::Cache& c, Tree t, fuse_session* s)
      : options(o), cache(c), tree(std::move(t)), session(s), mount_time(std::time(nullptr)) {
    const cache::CacheStats at_start = c.stats();
    device_bytes_at_start = at_start.device_read_bytes + at_start.device_write_bytes;
  }

  const FsOptions options;
  cache::Cache& cache;
  const Tree tree;
  // -o skip_free: in user-area offsets (empty without the option). Filled before serving starts.
  std::unique_ptr<FreeSpace> free_space = std::make_unique<FreeSpace>();
  fuse_session* session;
  const std::time_t mount_time;
  // For status.txt's average speed: when serving began and the device bytes moved before (the table).
  const std::chrono::steady_clock::time_point serving_since = std::chrono::steady_clock::now();
  std::uint64_t device_bytes_at_start = 0;
  std::atomic<bool> destroyed{false};          // the destroy callback ran (final flush done)
  std::atomic<bool> final_flush_failed{false};

  // Open files, owned here because the kernel may drop the RELEASE of a file closed just before a lazy
  // unmount; whatever is left is freed when the loop ends.
  std::mutex open_files_mutex;
  std::unordered_map<OpenFile*, std::shared_ptr<OpenFile>> open_files;  // shared: see hold_file()
};

struct FsContext {
  std::atomic<Filesystem*> fs{nullptr};
};

const fuse_lowlevel_ops& filesystem_operations();

}  // namespace mtkfs::fusefs
