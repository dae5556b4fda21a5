#include "tests/sim_image/test_util.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace mtkfs::sim::image::test {

CommandResult run(const std::string& command, int timeout_seconds) {
  const std::string full = "PATH=/usr/sbin:/sbin:$PATH timeout -k 5 " + std::to_string(timeout_seconds) + " " + command;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed for " + command);
  std::string output;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file, std::uint64_t offset, std::size_t length) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<std::uint8_t> buf(length);
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(length));
  if (!in || static_cast<std::size_t>(in.gcount()) != length)
    throw std::runtime_error("short read from " + file.string() + " at " + std::to_string(offset));
  return buf;
}

std::uint64_t read_le(const std::vector<std::uint8_t>& buf, std::size_t offset, std::size_t width) {
  if (offset + width > buf.size()) throw std::out_of_range("read_le beyond buffer");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v |= std::uint64_t{buf[offset + i]} << (8 * i);
  return v;
}

std::string read_cstring(const std::vector<std::uint8_t>& buf, std::size_t offset, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < max && buf.at(offset + i) != 0; ++i) s.push_back(static_cast<char>(buf[offset + i]));
  return s;
}

LoopDevice::LoopDevice(const std::filesystem::path& image, bool partscan, std::optional<std::uint64_t> offset,
                       std::optional<std::uint64_t> size_limit) {
  std::string cmd = "losetup --find --show --read-only";
  if (partscan) cmd += " --partscan";
  if (offset) cmd += " --offset " + std::to_string(*offset);
  if (size_limit) cmd += " --sizelimit " + std::to_string(*size_limit);
  cmd += " '" + image.string() + "' 2>&1";
  auto r = run(cmd, 30);
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == ' ')) r.output.pop_back();
  if (r.exit_code != 0 || r.output.rfind("/dev/loop", 0) != 0)
    throw std::runtime_error("losetup failed (" + std::to_string(r.exit_code) + "): " + r.output);
  device_ = r.output;
}

LoopDevice::~LoopDevice() {
  // Partitions found by --partscan disappear with the device.
  run("losetup --detach " + device_ + " >/dev/null 2>&1", 30);
}

std::string LoopDevice::name() const { return std::filesystem::path(device_).filename().string(); }

std::vector<Expected> expected_real_rows() {
  // /proc/emmc of an NW-A50 (docs/protocol/partitions.md §5.1): start sector, sector count.
  const struct {
    const char* name;
    std::uint64_t start, count;
  } rows[] = {{"pro_info", 0x2800, 0x1800},   {"nvram", 0x4000, 0x2800},     {"protect_f", 0x6800, 0x5000},
              {"protect_s", 0xB800, 0x5000},  {"seccfg", 0x10800, 0x100},    {"uboot", 0x10900, 0x300},
              {"bootimg", 0x10C00, 0x8000},   {"recovery", 0x18C00, 0x8000}, {"sec_ro", 0x20C00, 0x3000},
              {"misc", 0x23C00, 0x400},       {"logo", 0x24000, 0x1800},     {"expdb", 0x25800, 0x5000},
              {"tee1", 0x2A800, 0x2800},      {"tee2", 0x2D000, 0x2800},     {"kb", 0x2F800, 0x800},
              {"dkb", 0x30000, 0x800},        {"xhrome", 0x30800, 0x800},    {"android", 0x31000, 0x190000},
              {"cache", 0x1C1000, 0xE000},    {"cm4", 0x1CF000, 0x400},      {"nvp", 0x1CF400, 0x7800},
              {"var", 0x1D6C00, 0x37000},     {"db", 0x20DC00, 0x32000},     {"option1", 0x23FC00, 0x4000},
              {"option2", 0x243C00, 0x40000}, {"option3", 0x283C00, 0x200000}, {"usrdata", 0x483C00, 0x14000}};
  std::vector<Expected> out;
  for (const auto& r : rows) out.push_back({r.name, r.start * 512, r.count * 512});
  return out;
}

std::vector<Expected> expected_compact_rows() {
  return {{"pro_info", 0x500000, 0x300000},  {"nvram", 0x800000, 0x500000},    {"protect_f", 0xD00000, 0xA00000},
          {"protect_s", 0x1700000, 0xA00000}, {"seccfg", 0x2100000, 0x20000},   {"uboot", 0x2120000, 0x60000},
          {"bootimg", 0x2180000, 0x1000000},  {"recovery", 0x3180000, 0x1000000}, {"sec_ro", 0x4180000, 0x600000},
          {"misc", 0x4780000, 0x80000},       {"logo", 0x4800000, 0x300000},    {"expdb", 0x4B00000, 0xA00000},
          {"tee1", 0x5500000, 0x500000},      {"tee2", 0x5A00000, 0x500000},    {"kb", 0x5F00000, 0x100000},
          {"dkb", 0x6000000, 0x100000},       {"xhrome", 0x6100000, 0x100000},  {"android", 0x6200000, 0x3000000},
          {"cache", 0x9200000, 0x800000},     {"cm4", 0x9A00000, 0x80000},      {"nvp", 0x9A80000, 0x400000},
          {"var", 0x9E80000, 0x800000},       {"db", 0xA680000, 0x800000},      {"option1", 0xAE80000, 0x800000},
          {"option2", 0xB680000, 0x800000},   {"option3", 0xBE80000, 0x1000000}, {"usrdata", 0xCE80000, 0x800000}};
}

Dump sfdisk_dump(const std::filesystem::path& image) {
  auto r = run("sfdisk --dump '" + image.string() + "' 2>&1");
  if (r.exit_code != 0) throw std::runtime_error("sfdisk --dump failed: " + r.output);
  Dump dump;
  std::istringstream lines(r.output);
  const std::regex part_re(
      R"(^.*user\.img(\d+) : start= *(\d+), size= *(\d+), type=([0-9A-F-]+), uuid=([0-9A-F-]+), name="([^"]*)\"$)");
  const std::regex header_re(R"(^([a-z-]+): (.*)$)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, part_re))
      dump.partitions.push_back({std::stoi(m[1]), std::stoull(m[2]), std::stoull(m[3]), m[4], m[5], m[6]});
    else if (std::regex_match(line, m, header_re))
      dump.header[m[1]] = m[2];
  }
  return dump;
}

std::uint64_t allocated_bytes(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + file.string());
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

}  // namespace mtkfs::sim::image::test
