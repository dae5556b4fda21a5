// Cross-check against util-linux: images partitioned by sfdisk must parse the way
// `sfdisk --json` reports them.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "partition/partition_table.h"
#include "table_checks.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::partition::test {
namespace {

constexpr std::uint64_t kImageSize = 64ull << 20;

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// sfdisk lives in /usr/sbin, which is not on a normal user's PATH.
std::string with_sbin(const std::string& command) { return "PATH=/usr/sbin:/sbin:$PATH " + command; }

void run_with_input(const std::string& command, const std::string& input) {
  FILE* pipe = popen(with_sbin(command).c_str(), "w");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  const bool written = std::fwrite(input.data(), 1, input.size(), pipe) == input.size();
  const int status = pclose(pipe);
  if (!written || !WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(command + " failed");
}

std::string output_of(const std::string& command) {
  FILE* pipe = popen(with_sbin(command).c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(command + " failed");
  return out;
}

struct SfdiskPartition {
  int number = 0;
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::string type;
  std::string name;
};

std::string json_unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) out += (s[i] == '\\' && i + 1 < s.size()) ? s[++i] : s[i];
  return out;
}

// Just enough JSON for sfdisk's flat partition objects.
std::vector<SfdiskPartition> sfdisk_json(const std::filesystem::path& image) {
  const std::string json = output_of("sfdisk --json " + quoted(image));
  const std::string list = json.substr(json.find("\"partitions\""));
  const std::regex object(R"(\{([^{}]*)\})");
  const std::regex node(R"re("node":\s*"[^"]*?(\d+)")re");
  const std::regex start(R"re("start":\s*(\d+))re");
  const std::regex size(R"re("size":\s*(\d+))re");
  const std::regex type(R"re("type":\s*"([^"]*)")re");
  const std::regex name(R"re("name":\s*"((?:[^"\\]|\\.)*)")re");
  std::vector<SfdiskPartition> out;
  for (auto it = std::sregex_iterator(list.begin(), list.end(), object); it != std::sregex_iterator(); ++it) {
    const std::string body = (*it)[1];
    std::smatch m;
    SfdiskPartition p;
    if (std::regex_search(body, m, node)) p.number = std::stoi(m[1]);
    if (std::regex_search(body, m, start)) p.start = std::stoull(m[1]);
    if (std::regex_search(body, m, size)) p.size = std::stoull(m[1]);
    if (std::regex_search(body, m, type)) p.type = m[1];
    if (std::regex_search(body, m, name)) p.name = json_unescape(m[1]);
    out.push_back(p);
  }
  return out;
}

class ImageFile {
 public:
  explicit ImageFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDWR)) {
    if (fd_ < 0) throw std::runtime_error("open " + path.string());
  }
  ~ImageFile() { ::close(fd_); }
  ReadFn reader() const {
    return [fd = fd_](std::uint64_t offset, std::span<std::uint8_t> out) {
      if (::pread(fd, out.data(), out.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(out.size()))
        throw std::runtime_error("short read");
    };
  }
  void zero_sector(std::uint64_t lba) const {
    const std::vector<std::uint8_t> zeros(512, 0);
    ASSERT_EQ(::pwrite(fd_, zeros.data(), zeros.size(), static_cast<off_t>(lba * 512)), 512);
  }

 private:
  int fd_;
};

std::filesystem::path make_image(const mtkfs::testing::TempDir& dir, const std::string& script) {
  const auto image = dir / "disk.img";
  std::ofstream(image).close();
  std::filesystem::resize_file(image, kImageSize);
  run_with_input("sfdisk --no-reread --no-tell-kernel -q " + quoted(image) + " >/dev/null", script);
  return image;
}

void expect_agrees(const Table& table, const std::vector<SfdiskPartition>& reference, bool compare_names) {
  std::vector<SfdiskPartition> data;
  for (const auto& p : reference)
    if (p.type != "5" && p.type != "f" && p.type != "85") data.push_back(p);  // containers are not extents
  ASSERT_EQ(table.extents.size(), data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(table.extents[i].number, data[i].number);
    EXPECT_EQ(table.extents[i].offset, data[i].start * 512);
    EXPECT_EQ(table.extents[i].size, data[i].size * 512);
    if (compare_names) {
      EXPECT_EQ(table.extents[i].label, data[i].name);
    }
  }
}

TEST(Sfdisk, DosLabelWithExtendedAndThreeLogicals) {
  mtkfs::testing::TempDir dir;
  const auto image = make_image(dir,
                                "label: dos\nunit: sectors\n\n"
                                "start=2048, size=4096, type=83\n"
                                "start=8192, size=65536, type=5\n"
                                "start=10240, size=4096, type=83\n"
                                "start=16384, size=4096, type=c\n"
                                "start=22528, size=4096, type=83\n"
                                "start=100000, size=20000, type=83\n");
  const auto reference = sfdisk_json(image);
  ASSERT_EQ(reference.size(), 6u);
  ImageFile file(image);
  const Table t = read_table(file.reader(), kImageSize, ReadOptions{.ext4_names = false});
  EXPECT_EQ(t.scheme, Scheme::mbr);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  expect_agrees(t, reference, false);
  // numbers 1, 3, 5, 6, 7: the extended slot uses p2
  ASSERT_EQ(t.extents.size(), 5u);
  EXPECT_EQ(t.extents[1].number, 3);
  EXPECT_EQ(t.extents[2].number, 5);
  expect_sane(t, kImageSize);
}

TEST(Sfdisk, GptLabelWithNames) {
  mtkfs::testing::TempDir dir;
  const auto image = make_image(dir,
                                "label: gpt\nunit: sectors\n\n"
                                "start=2048, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"syst\xC3\xA8me\"\n"
                                "start=8192, size=4096, name=\"boot\"\n"
                                "size=2048, name=\"boot\"\n"
                                "size=2048, name=\"a b\"\n"
                                "size=2048\n");
  const auto reference = sfdisk_json(image);
  ASSERT_EQ(reference.size(), 5u);
  ImageFile file(image);
  const Table t = read_table(file.reader(), kImageSize);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  expect_agrees(t, reference, true);
  ASSERT_EQ(t.extents.size(), 5u);
  EXPECT_EQ(t.extents[0].name, "syst_me");
  EXPECT_EQ(t.extents[1].name, "boot");
  EXPECT_EQ(t.extents[2].name, "boot_2");
  EXPECT_EQ(t.extents[3].name, "a_b");
  EXPECT_EQ(t.extents[4].name, "p5");

  // Wipe the primary header: the backup sfdisk wrote at the last LBA gives the same table.
  file.zero_sector(1);
  const Table from_backup = read_table(file.reader(), kImageSize);
  EXPECT_EQ(from_backup.scheme, Scheme::gpt);
  EXPECT_TRUE(any_contains(from_backup.warnings, "backup GPT")) << joined(from_backup.warnings);
  EXPECT_EQ(from_backup.extents, t.extents);
}

}  // namespace
}  // namespace mtkfs::partition::test
