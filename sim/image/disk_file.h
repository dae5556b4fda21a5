// A sparse image file of fixed size with bounds-checked positional I/O.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

namespace mtkfs::sim::image::detail {

class DiskFile {
 public:
  // Replaces `path` with a sparse file of exactly `size` bytes (all zero).
  static DiskFile create(const std::filesystem::path& path, std::uint64_t size);
  static DiskFile open_read_only(const std::filesystem::path& path);

  DiskFile(DiskFile&& other) noexcept;
  DiskFile& operator=(DiskFile&&) = delete;
  DiskFile(const DiskFile&) = delete;
  DiskFile& operator=(const DiskFile&) = delete;
  ~DiskFile();

  std::uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }

  void write_at(std::uint64_t offset, std::span<const std::uint8_t> data);
  void read_at(std::uint64_t offset, std::span<std::uint8_t> data) const;
  void write_zeros(std::uint64_t offset, std::uint64_t length);

  // Fills the whole file with pattern_word(region_id, offset) words.
  void fill_pattern(std::uint8_t region_id);

  // Reports close() errors (a failed close can mean lost data on some file systems).
  void close();

 private:
  DiskFile(int fd, std::filesystem::path path, std::uint64_t size);
  void check_range(std::uint64_t offset, std::uint64_t length, const char* what) const;

  int fd_;
  std::filesystem::path path_;
  std::uint64_t size_;
};

// Copies `length` bytes of the file `source` into `dest` at `dest_offset`. Holes in `source`
// and, if `dest_is_zero`, all-zero 4 KiB blocks are not written, so `dest` stays sparse;
// otherwise holes are written as zeros (the destination holds a fill pattern that must not show
// through inside the copied image).
void copy_image_into(DiskFile& dest, std::uint64_t dest_offset, const std::filesystem::path& source,
                     std::uint64_t length, bool dest_is_zero);

}  // namespace mtkfs::sim::image::detail
