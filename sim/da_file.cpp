#include "sim/da_file.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mtkfs::sim {
namespace {

constexpr std::size_t kHeaderSize = 0x6C;
constexpr std::size_t kEntrySizeNew = 0xDC;
constexpr std::size_t kEntrySizeOld = 0xD8;
constexpr std::size_t kRegionSize = 20;
constexpr std::size_t kMaxRegions = 10;
constexpr std::uint16_t kEntryMagic = 0xDADA;

struct Region {
  std::uint32_t offset, len, start_addr, sig_offset, sig_len;
};

class Reader {
 public:
  Reader(const std::vector<std::uint8_t>& data, const std::filesystem::path& file) : data_(data), file_(file) {}
  std::uint16_t u16(std::size_t at) const {
    need(at, 2);
    return static_cast<std::uint16_t>(data_[at] | data_[at + 1] << 8);
  }
  std::uint32_t u32(std::size_t at) const {
    need(at, 4);
    return std::uint32_t{data_[at]} | std::uint32_t{data_[at + 1]} << 8 | std::uint32_t{data_[at + 2]} << 16 |
           std::uint32_t{data_[at + 3]} << 24;
  }
  void need(std::size_t at, std::size_t len) const {
    if (at > data_.size() || len > data_.size() - at) fail("truncated (needs bytes up to offset " + std::to_string(at + len) + ")");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("DA file " + file_.string() + ": " + why);
  }

 private:
  const std::vector<std::uint8_t>& data_;
  const std::filesystem::path& file_;
};

std::string hex16(unsigned value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%04X", value);
  return text;
}

}  // namespace

ExpectedDa load_expected_da(const std::filesystem::path& file, const DeviceIdentity& device) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open DA file " + file.string());
  const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Reader r(data, file);

  r.need(0, kHeaderSize);
  const std::string_view ident(reinterpret_cast<const char*>(data.data()), 32);
  if (ident.substr(0, ident.find('\0')) != "MTK_DOWNLOAD_AGENT") r.fail("missing the MTK_DOWNLOAD_AGENT identifier");
  const std::string_view head(reinterpret_cast<const char*>(data.data()), 0x68);
  if (head.find("MTK_DA_v6") != std::string_view::npos) r.fail("is an XML (MTK_DA_v6) DA, not a legacy DA");
  const std::uint32_t count = r.u32(0x68);
  if (count == 0) r.fail("has no DA entries");

  // docs/protocol/da-file.md §2.1: an old-style file has 0xD8-byte entries, recognisable by the second
  // entry's magic.
  const bool old_entries = data.size() >= kHeaderSize + kEntrySizeOld + 2 &&
                           r.u16(kHeaderSize + kEntrySizeOld) == kEntryMagic;
  const std::size_t entry_size = old_entries ? kEntrySizeOld : kEntrySizeNew;
  r.need(kHeaderSize, static_cast<std::size_t>(count) * entry_size);

  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t e = kHeaderSize + i * entry_size;
    if (r.u16(e) != kEntryMagic) r.fail("entry " + std::to_string(i) + " has no 0xDADA magic");
    const std::uint16_t hw_code = r.u16(e + 2);
    const std::uint16_t hw_ver = r.u16(e + 6);
    const std::uint16_t sw_ver = old_entries ? 0 : r.u16(e + 8);
    if (hw_code != device.hw_code || hw_ver > device.hw_ver || sw_ver > device.sw_ver) continue;

    const std::uint16_t region_count = r.u16(e + (old_entries ? 0x0E : 0x12));
    const std::size_t regions_at = e + (old_entries ? 0x10 : 0x14);
    if (region_count > kMaxRegions) r.fail("entry " + std::to_string(i) + " claims " + std::to_string(region_count) + " regions");
    if (region_count < 3) r.fail("entry " + std::to_string(i) + " has no stage-2 region (count " + std::to_string(region_count) + ")");
    Region regions[kMaxRegions]{};
    for (std::size_t k = 0; k < region_count; ++k) {
      const std::size_t at = regions_at + k * kRegionSize;
      regions[k] = {r.u32(at), r.u32(at + 4), r.u32(at + 8), r.u32(at + 12), r.u32(at + 16)};
    }
    ExpectedDa result;
    ExpectedStage* stages[2] = {&result.stage1, &result.stage2};
    for (std::size_t s = 0; s < 2; ++s) {
      const Region& reg = regions[s + 1];
      const std::string which = "region " + std::to_string(s + 1);
      if (reg.len == 0) r.fail(which + " is empty");
      if (reg.sig_len > reg.len) r.fail(which + " has a signature longer than the region");
      r.need(reg.offset, reg.len);
      stages[s]->load_address = reg.start_addr;
      stages[s]->sig_len = reg.sig_len;
      stages[s]->bytes.assign(data.begin() + reg.offset, data.begin() + reg.offset + reg.len);
    }
    return result;
  }
  r.fail("has no entry for hw code " + hex16(device.hw_code) + " (hw ver " + hex16(device.hw_ver) + ", sw ver " +
         hex16(device.sw_ver) + ")");
}

}  // namespace mtkfs::sim
