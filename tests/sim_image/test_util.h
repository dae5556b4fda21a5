// Helpers for the sim_image tests: external tools, loop devices and raw little-endian reads.
// Expectations are written out here from the spec instead of being taken from the library.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mtkfs::sim::image::test {

struct CommandResult {
  int exit_code;
  std::string output;
};

// Runs `command` through /bin/sh with /usr/sbin and /sbin on PATH, bounded by `timeout` seconds.
// Only stdout is captured; append "2>&1" to capture stderr as well.
CommandResult run(const std::string& command, int timeout_seconds = 120);

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file, std::uint64_t offset, std::size_t length);
std::uint64_t read_le(const std::vector<std::uint8_t>& buf, std::size_t offset, std::size_t width);
std::string read_cstring(const std::vector<std::uint8_t>& buf, std::size_t offset, std::size_t max);

// A read-only loop device, detached (with any partitions) on destruction.
class LoopDevice {
 public:
  LoopDevice(const std::filesystem::path& image, bool partscan, std::optional<std::uint64_t> offset = {},
             std::optional<std::uint64_t> size_limit = {});
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  ~LoopDevice();
  const std::string& device() const { return device_; }  // "/dev/loopN"
  std::string name() const;                               // "loopN"

 private:
  std::string device_;
};

// Expected NW-A50 partitions (name, byte offset, byte size), p2..p28 without `contents`.
struct Expected {
  const char* name;
  std::uint64_t offset;
  std::uint64_t size;
};
std::vector<Expected> expected_real_rows();     // docs/protocol/partitions.md §5.1, /proc/emmc columns
std::vector<Expected> expected_compact_rows();  // README.md compact table

struct DumpedPartition {
  int number;
  std::uint64_t start, size;  // sectors
  std::string type, uuid, name;
};
struct Dump {
  std::map<std::string, std::string> header;
  std::vector<DumpedPartition> partitions;
};
// `sfdisk --dump` (libfdisk's GPT reader) of a user.img, parsed.
Dump sfdisk_dump(const std::filesystem::path& image);

std::uint64_t allocated_bytes(const std::filesystem::path& file);

}  // namespace mtkfs::sim::image::test
