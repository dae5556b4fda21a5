// The ext4 file system of the "android" (system) partition, built by mke2fs from known files.
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sim/image/process.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image {

std::uint64_t pattern_bin_word(std::uint64_t offset) { return (std::uint64_t{0xA5} << 56) | offset; }

namespace detail {
namespace {

// Fixed identities make the file system reproducible apart from mke2fs's timestamps.
constexpr const char* kFsUuid = "4d544b46-5349-4d00-8000-0000000000e4";
constexpr auto kMke2fsTimeout = std::chrono::seconds(120);

class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& parent) {
    std::string templ = (parent / ".mtkfs-sim-ext4-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("cannot create a scratch directory in " + parent.string());
    path_ = templ;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string pattern_bin() {
  std::string data(kPatternBinSize, '\0');
  for (std::uint64_t off = 0; off < kPatternBinSize; off += 8) {
    const std::uint64_t word = pattern_bin_word(off);
    for (int b = 0; b < 8; ++b) data[off + b] = static_cast<char>(word >> (8 * b));
  }
  return data;
}

std::filesystem::path relative(std::string_view absolute_in_fs) { return std::string(absolute_in_fs.substr(1)); }

}  // namespace

void write_system_ext4(DiskFile& user, const PartitionSpec& partition, bool user_is_zero) {
  const auto mke2fs = find_program("mke2fs", "e2fsprogs");
  ScratchDir scratch(user.path().parent_path());
  const auto root = scratch.path() / "root";
  write_file(root / relative(kBuildPropPath), kBuildPropContent);
  write_file(root / relative(kHelloTxtPath), kHelloTxtContent);
  write_file(root / relative(kPatternBinPath), pattern_bin());

  const auto fs_image = scratch.path() / "system.ext4";
  DiskFile::create(fs_image, partition.size).close();
  run_program(mke2fs,
              {"-t", "ext4", "-F", "-q", "-b", "4096", "-L", std::string(kExt4Label), "-M", "/system", "-U",
               kFsUuid, "-E", std::string("root_owner=0:0,nodiscard,hash_seed=") + kFsUuid, "-d",
               root.string(), fs_image.string()},
              kMke2fsTimeout);
  copy_image_into(user, partition.offset, fs_image, partition.size, user_is_zero);
}

}  // namespace detail
}  // namespace mtkfs::sim::image
