#include "tests/mount/file_tools.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

#include "sim/image/image.h"

namespace mtkfs::testing {
namespace {

constexpr std::size_t kChunk = 4 << 20;

class File {
 public:
  File(const std::filesystem::path& path, int flags) : path_(path.string()), fd_(::open(path_.c_str(), flags | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("open " + path_ + ": " + std::strerror(errno));
  }
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Fills `out` completely or throws.
  void read_at(std::uint64_t offset, std::uint8_t* out, std::size_t length) const {
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_, out + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("read " + path_ + " at " + std::to_string(offset + done) + ": " + std::strerror(errno));
      if (n == 0) throw std::runtime_error("read " + path_ + ": end of file at " + std::to_string(offset + done));
      done += static_cast<std::size_t>(n);
    }
  }
  void write_at(std::uint64_t offset, const std::uint8_t* data, std::size_t length) const {
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pwrite(fd_, data + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("write " + path_ + ": " + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  }
  std::uint64_t size() const {
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) throw std::runtime_error("lseek " + path_ + ": " + std::strerror(errno));
    return static_cast<std::uint64_t>(end);
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

std::vector<std::uint8_t> read_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  File(file, O_RDONLY).read_at(offset, out.data(), length);
  return out;
}

void write_range(const std::filesystem::path& file, std::uint64_t offset, const std::vector<std::uint8_t>& data) {
  File(file, O_WRONLY).write_at(offset, data.data(), data.size());
}

std::string compare_ranges(const std::filesystem::path& a, std::uint64_t a_offset, const std::filesystem::path& b,
                           std::uint64_t b_offset, std::uint64_t length) {
  const File fa(a, O_RDONLY), fb(b, O_RDONLY);
  std::vector<std::uint8_t> ba(kChunk), bb(kChunk);
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - done));
    fa.read_at(a_offset + done, ba.data(), n);
    fb.read_at(b_offset + done, bb.data(), n);
    const auto [pa, pb] = std::mismatch(ba.begin(), ba.begin() + static_cast<std::ptrdiff_t>(n), bb.begin());
    if (pa != ba.begin() + static_cast<std::ptrdiff_t>(n)) {
      const std::uint64_t at = done + static_cast<std::uint64_t>(pa - ba.begin());
      return a.string() + " differs from " + b.string() + " at +" + std::to_string(at) + " (" +
             std::to_string(*pa) + " vs " + std::to_string(*pb) + ")";
    }
    done += n;
  }
  return "";
}

std::string compare_file(const std::filesystem::path& a, const std::filesystem::path& b, std::uint64_t b_offset,
                         std::uint64_t length) {
  const std::uint64_t size = File(a, O_RDONLY).size();
  if (size != length)
    return a.string() + " has " + std::to_string(size) + " bytes, expected " + std::to_string(length);
  return compare_ranges(a, 0, b, b_offset, length);
}

std::vector<std::uint8_t> pattern_bytes(std::uint8_t region_id, std::uint64_t offset, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  for (std::size_t i = 0; i < length; ++i) {
    const std::uint64_t at = offset + i;
    const std::uint64_t word = sim::image::pattern_word(region_id, at - at % 8);
    out[i] = static_cast<std::uint8_t>(word >> (8 * (at % 8)));  // little-endian
  }
  return out;
}

sim::image::PartitionSpec sim_partition(const std::string& name, sim::image::Layout layout, std::uint64_t user_size) {
  for (auto& spec : sim::image::partition_table(user_size, layout))
    if (spec.name == name) return spec;
  throw std::runtime_error("mtkfs-sim writes no partition " + name);
}

std::vector<std::uint8_t> random_bytes(std::uint64_t seed, std::size_t length) {
  std::mt19937_64 generator(seed);
  std::vector<std::uint8_t> out(length);
  for (auto& b : out) b = static_cast<std::uint8_t>(generator());
  return out;
}

std::string status_value(const std::string& status_text, const std::string& label) {
  std::istringstream in(status_text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(label + ":", 0) == 0) return l.substr(15);
  return "<no line " + label + ">";
}

}  // namespace mtkfs::testing
