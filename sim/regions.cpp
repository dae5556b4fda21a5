#include "sim/regions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace mtkfs::sim {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string hex(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llX", static_cast<unsigned long long>(value));
  return text;
}

// Opens DIR/name; a missing file is created sparse with `wanted` bytes; an existing file keeps its size
// unless `must_match` demands `wanted`.
int open_backing(const std::filesystem::path& path, std::uint64_t wanted, bool must_match,
                 std::uint64_t& size_out) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const std::string why = errno_text();
      ::close(fd);
      throw std::runtime_error("cannot stat " + path.string() + ": " + why);
    }
    size_out = static_cast<std::uint64_t>(st.st_size);
    if (must_match && size_out != wanted) {
      ::close(fd);
      throw std::runtime_error(path.string() + " is " + std::to_string(size_out) + " bytes (" + hex(size_out) +
                               ") but the user-area size was given as " + std::to_string(wanted) + " (" +
                               hex(wanted) + "); remove the file or drop the size option");
    }
    return fd;
  }
  if (errno != ENOENT) throw std::runtime_error("cannot open " + path.string() + ": " + errno_text());
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string() + ": " + errno_text());
  if (::ftruncate(fd, static_cast<off_t>(wanted)) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    throw std::runtime_error("cannot size " + path.string() + " to " + std::to_string(wanted) + ": " + why);
  }
  size_out = wanted;
  return fd;
}

}  // namespace

Regions::Regions(const SimConfig& config) {
  if (config.dir.empty()) throw std::runtime_error("no image directory given");
  std::error_code ec;
  std::filesystem::create_directories(config.dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + config.dir.string() + ": " + ec.message());

  struct Spec {
    const char* name;
    std::uint64_t wanted;
    bool must_match;
    bool may_be_empty;
  };
  const Spec specs[4] = {
      {"boot1.img", config.boot1_size, false, false},
      {"boot2.img", config.boot2_size, false, false},
      {"rpmb.img", config.rpmb_size, false, true},
      {"user.img", config.user_size.value_or(kDefaultUserSize), config.user_size.has_value(), false},
  };
  try {
    for (std::size_t i = 0; i < 4; ++i) {
      Backing& b = files_[i];
      b.name = specs[i].name;
      b.fd = open_backing(config.dir / b.name, specs[i].wanted, specs[i].must_match, b.size);
      if (b.size % wire::kSectorSize != 0 || (b.size == 0 && !specs[i].may_be_empty)) {
        throw std::runtime_error((config.dir / b.name).string() + ": size " + std::to_string(b.size) +
                                 " is not a positive multiple of 512");
      }
    }
  } catch (...) {
    for (Backing& b : files_) {
      if (b.fd >= 0) ::close(b.fd);
    }
    throw;
  }
}

Regions::~Regions() {
  for (Backing& b : files_) ::close(b.fd);
}


const Regions::Backing& Regions::backing(wire::HwPartition partition) const {
  switch (partition) {
    case wire::HwPartition::boot1: return files_[0];
    case wire::HwPartition::boot2: return files_[1];
    case wire::HwPartition::rpmb: return files_[2];
    case wire::HwPartition::user: return files_[3];
    default: throw std::logic_error("no backing file for a GP partition");
  }
}

std::uint64_t Regions::size(wire::HwPartition partition) const {
  switch (partition) {
    case wire::HwPartition::boot1:
    case wire::HwPartition::boot2:
    case wire::HwPartition::rpmb:
    case wire::HwPartition::user: return backing(partition).size;
    default: return 0;
  }
}

void Regions::read(wire::HwPartition partition, std::uint64_t offset, std::span<std::uint8_t> out) const {
  const Backing& b = backing(partition);
  if (offset > b.size || out.size() > b.size - offset) throw std::out_of_range("read outside " + b.name);
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(b.fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("reading " + b.name + ": " + errno_text());
    if (n == 0) throw std::runtime_error(b.name + " is shorter than its recorded size");
    done += static_cast<std::size_t>(n);
  }
}

void Regions::write(wire::HwPartition partition, std::uint64_t offset, std::span<const std::uint8_t> data) {
  const Backing& b = backing(partition);
  if (offset > b.size || data.size() > b.size - offset) throw std::out_of_range("write outside " + b.name);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(b.fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("writing " + b.name + ": " + errno_text());
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace mtkfs::sim
