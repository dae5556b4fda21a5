// A filesystem mounted in-process for a test: the FUSE loop runs on its own thread, the test thread uses
// ordinary syscalls on the mountpoint. Always unmounted (lazily) when the object goes away.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cache/cache.h"
#include "fuse/filesystem.h"
#include "tests/cache/fake_block_device.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {

inline cache::CacheOptions fs_cache_options() {
  cache::CacheOptions o;
  o.block_size = 256 * 1024;
  o.cache_size = 32u << 20;
  o.readahead_max = 8u << 20;
  o.max_device_transfer = 8u << 20;
  return o;
}

class MountedFs {
 public:
  MountedFs(FakeBlockDevice& device, fusefs::FsOptions options, std::vector<partition::Extent> partitions = {},
            cache::CacheOptions cache_options = fs_cache_options())
      : mountpoint_(dir_ / "mnt") {
    std::filesystem::create_directories(mountpoint_);
    options.install_signal_handlers = false;
    cache_ = std::make_unique<cache::Cache>(device, cache_options);
    mount_ = std::make_unique<fusefs::FuseMount>(mountpoint_.string(), options);
    result_ = std::async(std::launch::async, [this, options, partitions] {
      return fusefs::run_filesystem(*mount_, options, *cache_, partitions);
    });
  }
  ~MountedFs() { unmount(); }
  MountedFs(const MountedFs&) = delete;
  MountedFs& operator=(const MountedFs&) = delete;

  // Unmounts and waits (bounded) for run_filesystem to return; returns its result.
  int unmount() {
    if (exit_code_) return *exit_code_;
    if (::umount2(mountpoint_.c_str(), MNT_DETACH) != 0) ADD_FAILURE() << "umount2: " << std::strerror(errno);
    if (result_.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      std::fprintf(stderr, "FUSE loop did not end after unmount; aborting the test binary\n");
      std::abort();
    }
    exit_code_ = result_.get();
    return *exit_code_;
  }

  std::string path(const std::string& relative) const { return (mountpoint_ / relative).string(); }
  const std::filesystem::path& mountpoint() const { return mountpoint_; }
  cache::Cache& cache() { return *cache_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::filesystem::path mountpoint_;
  std::unique_ptr<cache::Cache> cache_;
  std::unique_ptr<fusefs::FuseMount> mount_;
  std::future<int> result_;
  std::optional<int> exit_code_;
};

// RAII file descriptor; the error of a failed open is kept in err.
struct Fd {
  Fd(const std::string& path, int flags) : fd(::open(path.c_str(), flags)), err(fd < 0 ? errno : 0) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() {
    const int r = ::close(fd);
    fd = -1;
    return r;
  }
  int fd;
  int err;
};

inline std::vector<std::uint8_t> read_all(const std::string& path) {
  Fd f(path, O_RDONLY);
  std::vector<std::uint8_t> out;
  if (f.fd < 0) return out;
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(f.fd, buf.data(), buf.size());
    if (n <= 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  return out;
}

}  // namespace mtkfs::testing
