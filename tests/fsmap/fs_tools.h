// What the fsmap tests share: running the filesystem tools, a source tree of files to put on
// every filesystem, image files as partitions, and the checks every detected map must pass.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fsmap/free_map.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::fsmap::test {

namespace fs = std::filesystem;

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// `sh -c command` with /usr/sbin on PATH (mkfs.*, debugfs, fsck.* live there).
CommandResult run(const std::string& command);
// run() that throws with the output when the command fails.
std::string must(const std::string& command);
std::string quoted(const fs::path& path);

inline constexpr std::uint64_t kStaleBytes = 200 * 1024;
inline constexpr std::uint8_t kStaleByte = 0xAB;

// One per test process (ctest runs every test in its own): the files every image gets, and the
// images, each built on first use.
class Workspace {
 public:
  static Workspace& get();

  fs::path dir() const { return dir_.path(); }
  // Files with pseudo-random contents (no 0xAB runs) in subdirectories, one of them empty.
  fs::path source() const { return dir_ / "source"; }
  // What must be on every image after the builder deleted kDeletedFile.
  fs::path expected() const { return dir_ / "expected"; }
  // kStaleBytes of 0xAB, written to every image and deleted: its data must then show up as free.
  fs::path stale_file() const { return dir_ / "stale.bin"; }
  static constexpr const char* kDeletedFile = "music/one.flac";

  // The image `name`.img, made by `build(path)` the first time it is asked for.
  fs::path image(const std::string& name, const std::function<void(const fs::path&)>& build);

 private:
  Workspace();
  testing::TempDir dir_;
  std::map<std::string, fs::path> built_;
};

// Reads the image file as a partition; counts reads and checks they stay inside it.
struct ImageReader {
  explicit ImageReader(const fs::path& image);
  ReadFn fn();
  std::uint64_t size = 0;
  std::uint64_t reads = 0;
  std::uint64_t bytes = 0;
  bool outside = false;
  fs::path path;
};

Detection detect(const fs::path& image);

// The promises of free_map.h, for a map found on a real image.
void expect_well_formed(const FreeMap& map, std::uint64_t partition_size);

// Every `chunk`-aligned chunk of the image that is entirely `byte`.
std::vector<Range> chunks_filled_with(const fs::path& image, std::uint8_t byte, std::uint64_t chunk);
bool covered_by(const std::vector<Range>& free, const Range& r);

// Writes `byte` over every free range of a copy of `image`; returns the copy.
fs::path copy_with_free_space_overwritten(const fs::path& image, const FreeMap& map, const fs::path& copy,
                                          std::uint8_t byte = 0x5A);

// dumpe2fs's per-group "  Free blocks: 1008-1024, 2000" lines, as merged byte ranges; `superblock_free`
// gets its header's free block count.
std::vector<Range> dumpe2fs_free(const fs::path& image, std::uint64_t block_size, std::uint64_t& superblock_free);

// Same relative paths, same file contents (directories compared recursively).
void expect_same_tree(const fs::path& expected, const fs::path& actual);

// Bytes of a file, read and patched in place.
std::vector<std::uint8_t> read_bytes(const fs::path& file, std::uint64_t offset, std::size_t count);
void write_bytes(const fs::path& file, std::uint64_t offset, const std::vector<std::uint8_t>& bytes);

Detection detect(const fs::path& image, std::uint64_t partition_size);

// A loop device over an image file, detached on destruction.
class LoopDevice {
 public:
  explicit LoopDevice(const fs::path& image);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  const std::string& device() const { return device_; }

 private:
  std::string device_;
};

// exfat-fuse mounted in the foreground (-d) by this process, so that the unmount can wait for
// it to finish writing. Needs root, /dev/fuse and a loop device (it mounts block devices only).
class ExfatMount {
 public:
  ExfatMount(const fs::path& image, const fs::path& mountpoint);
  ~ExfatMount();
  ExfatMount(const ExfatMount&) = delete;
  ExfatMount& operator=(const ExfatMount&) = delete;
  void unmount();

 private:
  LoopDevice loop_;
  fs::path mountpoint_;
  pid_t pid_ = -1;
};

}  // namespace mtkfs::fsmap::test
