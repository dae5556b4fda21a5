#include "sim/image/disk_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/image/image.h"

namespace mtkfs::sim::image::detail {
namespace {

constexpr std::size_t kChunk = 4u << 20;  // large sequential writes keep pattern filling fast
constexpr std::size_t kBlock = 4096;

std::runtime_error sys_error(const std::string& what, const std::filesystem::path& path) {
  return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void pread_exact(int fd, std::uint8_t* data, std::size_t length, std::uint64_t offset,
                 const std::filesystem::path& path) {
  while (length > 0) {
    ssize_t n = ::pread(fd, data, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot read", path);
    if (n == 0) throw std::runtime_error("unexpected end of file in " + path.string());
    data += n;
    length -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

bool all_zero(const std::uint8_t* data, std::size_t length) {
  return std::all_of(data, data + length, [](std::uint8_t b) { return b == 0; });
}

// Writes `chunk` to dest, skipping all-zero 4 KiB blocks (runs of non-zero blocks coalesced).
void write_non_zero_blocks(DiskFile& dest, std::uint64_t offset, std::span<const std::uint8_t> chunk) {
  std::size_t pos = 0;
  while (pos < chunk.size()) {
    std::size_t len = std::min(kBlock, chunk.size() - pos);
    if (all_zero(chunk.data() + pos, len)) {
      pos += len;
      continue;
    }
    std::size_t run_end = pos + len;
    while (run_end < chunk.size()) {
      std::size_t next = std::min(kBlock, chunk.size() - run_end);
      if (all_zero(chunk.data() + run_end, next)) break;
      run_end += next;
    }
    dest.write_at(offset + pos, chunk.subspan(pos, run_end - pos));
    pos = run_end;
  }
}

}  // namespace

DiskFile::DiskFile(int fd, std::filesystem::path path, std::uint64_t size)
    : fd_(fd), path_(std::move(path)), size_(size) {}

DiskFile::DiskFile(DiskFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), size_(other.size_) {
  other.fd_ = -1;
}

DiskFile::~DiskFile() {
  if (fd_ >= 0) ::close(fd_);
}

DiskFile DiskFile::create(const std::filesystem::path& path, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw sys_error("cannot create", path);
  DiskFile file(fd, path, size);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw sys_error("cannot set the size of", path);
  return file;
}

DiskFile DiskFile::open_read_only(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw sys_error("cannot stat", path);
  }
  return DiskFile(fd, path, static_cast<std::uint64_t>(st.st_size));
}

void DiskFile::check_range(std::uint64_t offset, std::uint64_t length, const char* what) const {
  if (offset > size_ || length > size_ - offset)
    throw std::runtime_error(std::string(what) + " outside " + path_.string() + " (offset " +
                             std::to_string(offset) + ", length " + std::to_string(length) +
                             ", file size " + std::to_string(size_) + ")");
}

void DiskFile::write_at(std::uint64_t offset, std::span<const std::uint8_t> data) {
  check_range(offset, data.size(), "write");
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot write", path_);
    p += n;
    left -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

void DiskFile::read_at(std::uint64_t offset, std::span<std::uint8_t> data) const {
  check_range(offset, data.size(), "read");
  pread_exact(fd_, data.data(), data.size(), offset, path_);
}

void DiskFile::write_zeros(std::uint64_t offset, std::uint64_t length) {
  check_range(offset, length, "zero fill");
  const std::vector<std::uint8_t> zeros(std::min<std::uint64_t>(length, kChunk), 0);
  while (length > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(length, zeros.size()));
    write_at(offset, std::span(zeros).first(n));
    offset += n;
    length -= n;
  }
}

void DiskFile::fill_pattern(std::uint8_t region_id) {
  if (size_ % 8 != 0) throw std::logic_error("pattern fill needs a size that is a multiple of 8");
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(std::min<std::uint64_t>(size_, kChunk)));
  for (std::uint64_t base = 0; base < size_; base += buf.size()) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - base));
    for (std::size_t i = 0; i < n; i += 8) {
      std::uint64_t word = pattern_word(region_id, base + i);
      for (std::size_t b = 0; b < 8; ++b) buf[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
    write_at(base, std::span(buf).first(n));
  }
}

void DiskFile::close() {
  int fd = fd_;
  fd_ = -1;
  if (fd >= 0 && ::close(fd) != 0) throw sys_error("cannot close", path_);
}

void copy_image_into(DiskFile& dest, std::uint64_t dest_offset, const std::filesystem::path& source,
                     std::uint64_t length, bool dest_is_zero) {
  Fd src(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (src.get() < 0) throw sys_error("cannot open", source);
  struct stat st {};
  if (::fstat(src.get(), &st) != 0) throw sys_error("cannot stat", source);
  if (static_cast<std::uint64_t>(st.st_size) != length)
    throw std::runtime_error(source.string() + " has " + std::to_string(st.st_size) +
                             " bytes, expected " + std::to_string(length));
  if (dest_offset > dest.size() || length > dest.size() - dest_offset)
    throw std::runtime_error(source.string() + " does not fit into " + dest.path().string() +
                             " at offset " + std::to_string(dest_offset));

  std::vector<std::uint8_t> buf(kChunk);
  std::uint64_t pos = 0;
  while (pos < length) {
    off_t data = ::lseek(src.get(), static_cast<off_t>(pos), SEEK_DATA);
    // No SEEK_DATA support: treat everything as data. ENXIO: only a hole remains.
    std::uint64_t data_start = pos, data_end = length;
    if (data < 0 && errno == ENXIO) {
      data_start = length;
    } else if (data >= 0) {
      data_start = static_cast<std::uint64_t>(data);
      off_t hole = ::lseek(src.get(), data, SEEK_HOLE);
      if (hole >= 0) data_end = std::min<std::uint64_t>(static_cast<std::uint64_t>(hole), length);
    }
    if (!dest_is_zero && data_start > pos) dest.write_zeros(dest_offset + pos, data_start - pos);
    for (std::uint64_t off = data_start; off < data_end;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), data_end - off));
      pread_exact(src.get(), buf.data(), n, off, source);
      auto chunk = std::span<const std::uint8_t>(buf).first(n);
      if (dest_is_zero)
        write_non_zero_blocks(dest, dest_offset + off, chunk);
      else
        dest.write_at(dest_offset + off, chunk);
      off += n;
    }
    pos = std::max(data_end, data_start);
  }
}

}  // namespace mtkfs::sim::image::detail
