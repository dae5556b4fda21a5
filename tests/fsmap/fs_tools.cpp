#include "fs_tools.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "fsmap/ranges.h"

namespace mtkfs::fsmap::test {

CommandResult run(const std::string& command) {
  const std::string full = "PATH=/usr/sbin:/sbin:$PATH; (" + command + ") 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  CommandResult result;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string must(const std::string& command) {
  CommandResult r = run(command);
  if (r.status != 0) throw std::runtime_error(command + " failed (" + std::to_string(r.status) + "): " + r.output);
  return r.output;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

namespace {

void write_file(const fs::path& file, std::uint64_t bytes, std::uint64_t seed) {
  std::vector<char> data(bytes);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x >> 24);
  }
  std::ofstream(file, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

Workspace& Workspace::get() {
  static Workspace workspace;
  return workspace;
}

Workspace::Workspace() {
  for (const fs::path& tree : {source(), expected()}) {
    fs::create_directories(tree / "music" / "album");
    fs::create_directories(tree / "empty_dir");
    write_file(tree / "readme.txt", 1000, 1);
    write_file(tree / "big.bin", 3 * 1024 * 1024 + 123, 2);
    write_file(tree / "music" / "one.flac", 700 * 1024, 3);
    write_file(tree / "music" / "album" / "two.flac", 64 * 1024, 4);
    write_file(tree / "music" / "album" / "zero.bin", 0, 5);
  }
  fs::remove(expected() / kDeletedFile);
  const std::string stale(kStaleBytes, static_cast<char>(kStaleByte));
  std::ofstream(stale_file(), std::ios::binary).write(stale.data(), static_cast<std::streamsize>(stale.size()));
}

fs::path Workspace::image(const std::string& name, const std::function<void(const fs::path&)>& build) {
  auto it = built_.find(name);
  if (it != built_.end()) return it->second;
  const fs::path path = dir_ / (name + ".img");
  build(path);
  return built_[name] = path;
}

ImageReader::ImageReader(const fs::path& image) : size(fs::file_size(image)), path(image) {}

ReadFn ImageReader::fn() {
  auto fd = std::shared_ptr<int>(new int(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), [](int* p) {
    if (*p >= 0) ::close(*p);
    delete p;
  });
  if (*fd < 0) throw std::runtime_error("cannot open " + path.string());
  return [this, fd](std::uint64_t offset, std::span<std::uint8_t> out) {
    ++reads;
    bytes += out.size();
    if (offset > size || out.size() > size - offset) outside = true;
    if (::pread(*fd, out.data(), out.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(out.size()))
      throw std::runtime_error("short read at " + std::to_string(offset));
  };
}

Detection detect(const fs::path& image) {
  ImageReader reader(image);
  return detect_free_map(reader.fn(), reader.size);
}

Detection detect(const fs::path& image, std::uint64_t partition_size) {
  ImageReader reader(image);
  reader.size = partition_size;
  return detect_free_map(reader.fn(), partition_size);
}

std::vector<std::uint8_t> read_bytes(const fs::path& file, std::uint64_t offset, std::size_t count) {
  std::vector<std::uint8_t> bytes(count);
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
  return bytes;
}

void write_bytes(const fs::path& file, std::uint64_t offset, const std::vector<std::uint8_t>& bytes) {
  std::fstream out(file, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void expect_well_formed(const FreeMap& map, std::uint64_t partition_size) {
  EXPECT_TRUE(well_formed(map.free, partition_size));
  EXPECT_EQ(map.used_bytes + map.free_bytes(), partition_size);
  EXPECT_FALSE(map.description.empty());
}

std::vector<Range> chunks_filled_with(const fs::path& image, std::uint8_t byte, std::uint64_t chunk) {
  const int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + image.string());
  const auto size = static_cast<off_t>(fs::file_size(image));
  std::vector<std::uint8_t> buf(chunk);
  const std::vector<std::uint8_t> pattern(chunk, byte);
  std::vector<Range> found;
  // Only the data extents of the sparse image: holes read as zeros.
  for (off_t data = ::lseek(fd, 0, SEEK_DATA); data >= 0 && data < size; data = ::lseek(fd, data, SEEK_DATA)) {
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    for (off_t at = data / static_cast<off_t>(chunk) * static_cast<off_t>(chunk); at < hole;
         at += static_cast<off_t>(chunk))
      if (::pread(fd, buf.data(), chunk, at) == static_cast<ssize_t>(chunk) && buf == pattern)
        found.push_back({static_cast<std::uint64_t>(at), chunk});
    data = hole;
  }
  ::close(fd);
  return found;
}

bool covered_by(const std::vector<Range>& free, const Range& r) {
  for (const Range& f : free)
    if (r.offset >= f.offset && r.offset + r.size <= f.offset + f.size) return true;
  return false;
}

fs::path copy_with_free_space_overwritten(const fs::path& image, const FreeMap& map, const fs::path& copy,
                                          std::uint8_t byte) {
  must("cp --sparse=always " + quoted(image) + " " + quoted(copy));  // holes stay holes: half the writing
  const int fd = ::open(copy.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + copy.string());
  const std::vector<std::uint8_t> garbage(1 << 20, byte);
  for (const Range& r : map.free) {
    for (std::uint64_t done = 0; done < r.size;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(garbage.size(), r.size - done));
      if (::pwrite(fd, garbage.data(), n, static_cast<off_t>(r.offset + done)) != static_cast<ssize_t>(n))
        throw std::runtime_error("pwrite failed");
      done += n;
    }
  }
  ::close(fd);
  return copy;
}

void expect_same_tree(const fs::path& expected, const fs::path& actual) {
  for (const auto& entry : fs::recursive_directory_iterator(expected)) {
    const fs::path relative = fs::relative(entry.path(), expected);
    SCOPED_TRACE(relative.string());
    const fs::path other = actual / relative;
    if (entry.is_directory()) {
      EXPECT_TRUE(fs::is_directory(other));
      continue;
    }
    ASSERT_TRUE(fs::is_regular_file(other));
    std::ifstream a(entry.path(), std::ios::binary), b(other, std::ios::binary);
    const std::string da((std::istreambuf_iterator<char>(a)), {}), db((std::istreambuf_iterator<char>(b)), {});
    EXPECT_TRUE(da == db) << "contents differ";
  }
}

LoopDevice::LoopDevice(const fs::path& image) {
  std::string out = must("losetup --find --show " + quoted(image));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  device_ = out;
}

LoopDevice::~LoopDevice() { run("losetup --detach " + device_); }

namespace {

bool mounted(const fs::path& mountpoint) {
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5 && fields >> field; ++i) {
    }
    if (field == mountpoint.string()) return true;
  }
  return false;
}

}  // namespace

ExfatMount::ExfatMount(const fs::path& image, const fs::path& mountpoint) : loop_(image), mountpoint_(mountpoint) {
  fs::create_directories(mountpoint_);
  const std::string device = loop_.device();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execl("/usr/sbin/mount.exfat-fuse", "mount.exfat-fuse", "-d", device.c_str(), mountpoint_.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 500 && !mounted(mountpoint_); ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mount.exfat-fuse exited before mounting " + mountpoint_.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!mounted(mountpoint_)) throw std::runtime_error("exfat-fuse did not mount " + mountpoint_.string());
}

void ExfatMount::unmount() {
  if (pid_ < 0) return;
  must("umount " + quoted(mountpoint_));
  // The daemon writes the clean volume flags back after the unmount: wait for it.
  for (int i = 0; i < 1000; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error("mount.exfat-fuse did not exit after the unmount");
}

ExfatMount::~ExfatMount() {
  if (pid_ < 0) return;
  run("umount -l " + quoted(mountpoint_));
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

// dumpe2fs's per-group "  Free blocks: 1008-1024, 2000" lines, as merged byte ranges.
std::vector<Range> dumpe2fs_free(const fs::path& image, std::uint64_t block_size, std::uint64_t& superblock_free) {
  const std::string out = must("dumpe2fs " + quoted(image) + " 2>/dev/null");
  std::vector<Range> ranges;
  std::istringstream lines(out);
  std::string line;
  const std::regex group_line(R"(^  Free blocks: (.*)$)");
  const std::regex header_line(R"(^Free blocks: +(\d+)$)");
  const std::regex item(R"((\d+)(?:-(\d+))?)");
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, header_line)) superblock_free = std::stoull(m[1]);
    if (!std::regex_match(line, m, group_line)) continue;
    const std::string list = m[1];
    for (auto it = std::sregex_iterator(list.begin(), list.end(), item); it != std::sregex_iterator(); ++it) {
      const std::uint64_t first = std::stoull((*it)[1]);
      const std::uint64_t last = (*it)[2].matched ? std::stoull((*it)[2]) : first;
      const Range r{first * block_size, (last - first + 1) * block_size};
      if (!ranges.empty() && ranges.back().offset + ranges.back().size == r.offset)
        ranges.back().size += r.size;
      else
        ranges.push_back(r);
    }
  }
  return ranges;
}

}  // namespace mtkfs::fsmap::test
