#include "tests/sim_image/linux_msdos.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tests/sim_image/test_util.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image::test {
namespace {

std::uint64_t sysfs_number(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::uint64_t v = 0;
  if (!(in >> v)) throw std::runtime_error("cannot read " + p.string());
  return v;
}

bool is_extended(std::uint8_t type) { return type == 0x05 || type == 0x0F || type == 0x85; }

struct Entry {
  std::uint8_t type;
  std::uint64_t start, count;
};

class SectorReader {
 public:
  explicit SectorReader(const std::filesystem::path& device) : fd_(::open(device.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + device.string());
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) throw std::runtime_error("cannot size " + device.string());
    sectors_ = static_cast<std::uint64_t>(end) / 512;
  }
  ~SectorReader() { ::close(fd_); }
  SectorReader(const SectorReader&) = delete;
  SectorReader& operator=(const SectorReader&) = delete;
  std::uint64_t sectors() const { return sectors_; }

  // Empty when the sector is outside the device or has no 55 AA signature.
  std::vector<Entry> table(std::uint64_t lba) const {
    if (lba >= sectors_) return {};
    std::vector<std::uint8_t> s(512);
    if (::pread(fd_, s.data(), s.size(), static_cast<off_t>(lba * 512)) != 512) return {};
    if (s[510] != 0x55 || s[511] != 0xAA) return {};
    std::vector<Entry> entries;
    for (int i = 0; i < 4; ++i) {
      const std::size_t e = 0x1BE + 16 * i;
      entries.push_back({s[e + 4], read_le(s, e + 8, 4), read_le(s, e + 12, 4)});
    }
    return entries;
  }

 private:
  int fd_;
  std::uint64_t sectors_ = 0;
};

}  // namespace

bool kernel_has_msdos_parser() {
  static const bool has = [] {
    testing::TempDir dir;
    const auto image = dir / "control.img";
    auto made = run("truncate -s 4M '" + image.string() + "' && printf 'label: dos\\n2048,2048,83\\n' | sfdisk -q '" +
                    image.string() + "' 2>&1");
    if (made.exit_code != 0) throw std::runtime_error("cannot make the control image: " + made.output);
    LoopDevice loop(image, /*partscan=*/true);
    for (int i = 0; i < 20; ++i) {
      if (std::filesystem::exists("/sys/class/block/" + loop.name() + "p1")) return true;
      ::usleep(25000);
    }
    return false;
  }();
  return has;
}

std::vector<ListedPartition> sysfs_partitions(const std::string& loop_name) {
  std::vector<ListedPartition> out;
  for (int n = 1; n <= 64; ++n) {
    const std::filesystem::path dir = "/sys/class/block/" + loop_name + "p" + std::to_string(n);
    if (std::filesystem::exists(dir)) out.push_back({n, sysfs_number(dir / "start"), sysfs_number(dir / "size")});
  }
  return out;
}

std::vector<ListedPartition> libblkid_partitions(const std::string& device) {
  auto r = run("partx --raw --noheadings --output NR,START,SECTORS '" + device + "' 2>&1");
  if (r.exit_code != 0) throw std::runtime_error("partx failed: " + r.output);
  std::vector<ListedPartition> out;
  std::istringstream lines(r.output);
  ListedPartition p{};
  while (lines >> p.number >> p.start_sector >> p.sectors) out.push_back(p);
  return out;
}

std::vector<ListedPartition> reference_msdos_partitions(const std::filesystem::path& device) {
  SectorReader disk(device);
  std::vector<ListedPartition> out;
  const auto add = [&](int number, std::uint64_t start, std::uint64_t sectors) {
    if (start >= disk.sectors()) return;
    out.push_back({number, start, std::min(sectors, disk.sectors() - start)});
  };
  const auto mbr = disk.table(0);
  if (mbr.empty()) return out;
  for (int slot = 0; slot < 4; ++slot) {
    const Entry& e = mbr[slot];
    if (e.count == 0) continue;
    if (!is_extended(e.type)) {
      add(slot + 1, e.start, e.count);
      continue;
    }
    add(slot + 1, e.start, 2);
    const std::uint64_t first = e.start, first_size = e.count;
    std::uint64_t this_sector = first, this_size = first_size;
    int next_number = 5;
    std::set<std::uint64_t> visited;
    while (visited.insert(this_sector).second && visited.size() <= 64) {
      const auto ebr = disk.table(this_sector);
      if (ebr.empty()) break;
      for (int i = 0; i < 4; ++i) {
        const Entry& p = ebr[i];
        if (p.count == 0 || is_extended(p.type)) continue;
        const std::uint64_t next = this_sector + p.start;
        if (i >= 2 && (p.start + p.count > this_size || next < first || next + p.count > first + first_size)) continue;
        add(next_number++, next, p.count);
      }
      bool linked = false;
      for (const Entry& p : ebr) {
        if (p.count == 0 || !is_extended(p.type)) continue;
        this_sector = first + p.start;  // links are relative to EBR1
        this_size = p.count;
        linked = true;
        break;
      }
      if (!linked) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return out;
}

}  // namespace mtkfs::sim::image::test
