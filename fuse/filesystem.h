// The mtkfs FUSE filesystem: image files of the eMMC hardware partitions and of the partitions in the user
// area, served through the sector cache. Thread model: fuse/THREADS.md.
//
// How a program mounts it (app/mount_command.cpp; a background mount forks before step 1, see
// fuse/THREADS.md):
//   1. connect the device (BlockDevice);
//   2. Cache cache(device, cache_options);             // starts the device I/O thread
//   3. read the partition table through the cache;
//   4. FuseMount mount(mountpoint, options);          // mounts now: errors reach the terminal
//   5. return run_filesystem(mount, options, cache, partitions);
// run_filesystem() returns after an unmount (umount/fusermount -u) or SIGINT/SIGTERM/SIGHUP, once all
// written data is flushed to the device.
//
// Behaviour at the edges (chosen where the kernel leaves it to us):
//   * files have fixed sizes: a read crossing the end is short, a read at/after the end returns 0 bytes;
//     a write crossing the end is short, a write starting at/after the end fails with ENOSPC (as on a
//     block device);
//   * truncate/ftruncate/O_TRUNC to the current size succeeds, to any other size fails with EPERM;
//     chmod/chown fail with EPERM, utimes are accepted and ignored; fallocate fails with EOPNOTSUPP;
//     creating, removing or renaming anything fails with EPERM (EROFS on a read-only mount);
//   * opening a read-only file for writing fails with EROFS (all files without rw; boot1/boot2 without
//     rw_boot; rpmb.img, device.txt and status.txt always);
//   * device failures and a lost link are EIO; a failed write-back is EIO at the next fsync/close.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cache/cache.h"
#include "partition/partition_table.h"

struct fuse_session;

namespace mtkfs::fusefs {

struct FsOptions {
  bool writable = false;     // "rw": user_area.img and partitions/*.img accept writes
  bool write_boot = false;   // "rw_boot": boot1.img/boot2.img too (they hold the preloader); needs writable
  bool expose_rpmb = false;  // "rpmb": show rpmb.img (always read-only)
  bool allow_other = false;  // let other users see the mount (needs user_allow_other for non-root)
  // "page_cache": image files go through the kernel's page cache. Off by default: direct I/O gives a
  // 16 GB backup ~40 % less CPU and leaves the page cache alone (docs/performance.md); on, many small
  // reads (4 KiB) are cheaper, shared writable mmap works, and unchanged data may be kept across opens.
  bool page_cache = false;
  // "skip_free": blocks that the ext2/3/4, FAT or exFAT filesystem of a partition marks free read as zeros
  // without a device read and are holes (SEEK_HOLE, st_blocks), so sparse-aware tools skip them. Not a
  // byte-exact image of those blocks; everything else (tables, raw partitions, boot areas) still is.
  bool skip_free = false;
  bool debug = false;        // libfuse request tracing on stderr
  unsigned max_threads = 8;  // FUSE worker threads
  bool install_signal_handlers = true;  // SIGINT/SIGTERM/SIGHUP end the loop (tests turn this off)
  std::vector<std::string> extra_mount_options;  // more "-o" options, passed to libfuse as they are
};

struct FsContext;  // what the FUSE callbacks reach through the session's user data

// The kernel side of a mount: creates the FUSE session and mounts it, starts no thread.
class FuseMount {
 public:
  // Throws std::invalid_argument for rw_boot without rw, std::runtime_error if libfuse refuses the
  // options or the mount fails.
  FuseMount(const std::string& mountpoint, const FsOptions& options);
  ~FuseMount();  // unmounts and destroys the session if run_filesystem has not done so
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  const std::string& mountpoint() const { return mountpoint_; }

 private:
  friend int run_filesystem(FuseMount&, const FsOptions&, cache::Cache&, const std::vector<partition::Extent>&);
  void finish();  // unmount + destroy the session (runs the destroy callback: final flush)

  std::string mountpoint_;
  std::unique_ptr<FsContext> context_;
  fuse_session* session_ = nullptr;
  bool mounted_ = false;
};

// Serves requests on a multithreaded FUSE loop until unmounted or signalled, then flushes all dirty data
// and unmounts. Returns 0 on a clean exit, 1 if the loop failed or written data could not be flushed.
int run_filesystem(FuseMount& mount, const FsOptions& options, cache::Cache& cache,
                   const std::vector<partition::Extent>& partitions);

// Foreground convenience: mount at `mountpoint`, serve, unmount.
int run_filesystem(const std::string& mountpoint, const FsOptions& options, cache::Cache& cache,
                   const std::vector<partition::Extent>& partitions);

}  // namespace mtkfs::fusefs
