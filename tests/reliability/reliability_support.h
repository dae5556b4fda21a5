// Shared pieces of the reliability suites: a pattern-filled simulated eMMC and the suite sharing one,
// the rig set-up of a one-mount test, the programs, pattern checks of what read() returned, and running
// a blocking filesystem call with a bound.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sim/image/image.h"
#include "tests/support/mount_process.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::reliability {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::MountProcess;
using testing::sanitizer_report;
using testing::SimMountRig;
using testing::TempDir;

inline constexpr std::uint64_t kMiB = 1 << 20;
inline constexpr std::uint8_t kUser = sim::image::kRegionUser;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The byte at `offset` of region `region` in a pattern-filled image (8-byte little-endian words).
inline std::uint8_t pattern_byte(std::uint8_t region, std::uint64_t offset) {
  const std::uint64_t word = sim::image::pattern_word(region, offset & ~std::uint64_t{7});
  return static_cast<std::uint8_t>(word >> (8 * (offset & 7)));
}

inline Bytes pattern_bytes(std::uint8_t region, std::uint64_t offset, std::size_t length) {
  Bytes out(length);
  for (std::size_t i = 0; i < length; ++i) out[i] = pattern_byte(region, offset + i);
  return out;
}

// Index of the first byte of `data` (region bytes from `offset`) that is not the pattern.
inline std::optional<std::size_t> pattern_mismatch(std::uint8_t region, std::uint64_t offset,
                                                   std::span<const std::uint8_t> data) {
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] != pattern_byte(region, offset + i)) return i;
  return std::nullopt;
}

// A simulated eMMC filled with the address pattern (GPT or MBR layout) plus the synthetic DA file.
class PatternDisk {
 public:
  explicit PatternDisk(sim::image::Layout layout = sim::image::Layout::gpt,
                       std::uint64_t user_size = 256 * kMiB) : user_size_(user_size) {
    sim::image::InitOptions options;
    options.dir = dir();
    options.layout = layout;
    options.pattern = true;
    options.user_size = user_size;
    sim::image::init_disk(options);
    sim::image::write_synthetic_da(da());
  }

  fs::path dir() const { return temp_.path() / "emmc"; }
  fs::path da() const { return temp_.path() / "da.bin"; }
  fs::path user_img() const { return dir() / "user.img"; }
  fs::path boot1_img() const { return dir() / "boot1.img"; }
  std::uint64_t user_size() const { return user_size_; }
  const TempDir& temp() const { return temp_; }

  Bytes read_user(std::uint64_t offset, std::size_t length) const { return read_file(user_img(), offset, length); }
  void write_user(std::uint64_t offset, std::span<const std::uint8_t> data) const {
    write_file(user_img(), offset, data);
  }

  static Bytes read_file(const fs::path& file, std::uint64_t offset, std::size_t length) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + file.string());
    Bytes out(length);
    const ssize_t n = ::pread(fd, out.data(), length, static_cast<off_t>(offset));
    ::close(fd);
    if (n != static_cast<ssize_t>(length)) throw std::runtime_error("short read of " + file.string());
    return out;
  }

  static void write_file(const fs::path& file, std::uint64_t offset, std::span<const std::uint8_t> data) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + file.string());
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    ::close(fd);
    if (n != static_cast<ssize_t>(data.size())) throw std::runtime_error("short write of " + file.string());
  }

 private:
  TempDir temp_;
  std::uint64_t user_size_;
};

// A test suite whose tests share one pattern disk, written once per suite. Each test mounts it.
class PatternDiskSuite : public ::testing::Test {
 protected:
  void SetUp() override { mtkfs::testing::require_fuse(); }
  static void SetUpTestSuite() { disk_ = new PatternDisk(); }
  static void TearDownTestSuite() {
    delete disk_;
    disk_ = nullptr;
  }
  static inline PatternDisk* disk_ = nullptr;
};

// A rig made with the pattern disk's directory and DA file, set up as the tests with one mount use it:
// the simulator with `sim_options`, mtkfs mounted in the foreground with `mount_options` (30 s to
// appear; see rig.process().mounted_at_start()), and a sanitizer report in mtkfs's output at the end
// fails the test.
inline void serve_and_mount(SimMountRig& rig, const std::vector<std::string>& sim_options,
                            const std::vector<std::string>& mount_options) {
  rig.check_sanitizer_at_end();
  rig.start_sim(sim_options);
  rig.mount(mount_options, testing::Mode::foreground, std::chrono::seconds(30));
}

// `mtkfs --da DA --socket SOCKET EXTRA...` (MountProcess adds -f and the mountpoint).
inline std::vector<std::string> mount_args(const PatternDisk& disk, const fs::path& socket,
                                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--da", disk.da().string(), "--socket", socket.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Every close() of a descriptor of a FUSE file sends FLUSH, and that includes the close-on-exec in a child
// that another thread forks while the descriptor is open: a write-back error would then be reported to that
// child instead of the test. Threads that keep FUSE files open hold a FuseFilesScope; forks happen inside
// a SpawnScope, which waits until no FUSE file is open in this process.
inline std::shared_mutex& fuse_files_mutex() {
  static std::shared_mutex mutex;
  return mutex;
}
struct FuseFilesScope {
  std::shared_lock<std::shared_mutex> lock{fuse_files_mutex()};
};
struct SpawnScope {
  std::unique_lock<std::shared_mutex> lock{fuse_files_mutex()};
};

// Runs `work` (blocking filesystem calls) on its own thread. If it has not finished after `bound`,
// `unblock` runs (it kills the FUSE server, which makes every blocked call return) and nullopt is
// returned once the thread has finished.
template <class T>
std::optional<T> run_bounded(std::function<T()> work, milliseconds bound, const std::function<void()>& unblock) {
  std::packaged_task<T()> task(std::move(work));
  std::future<T> result = task.get_future();
  std::thread worker(std::move(task));
  if (result.wait_for(bound) == std::future_status::ready) {
    worker.join();
    return result.get();
  }
  unblock();
  worker.join();
  return std::nullopt;
}

}  // namespace mtkfs::reliability
