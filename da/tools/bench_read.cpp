// Measures raw read throughput through da::Device: connect, then read N bytes of a hardware
// partition in blocks, optionally checking the simulator's pattern words (every 8-byte LE word
// at offset `off` holds (partition id << 56) | off).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "da/device.h"
#include "da/errors.h"
#include "transport/open_transport.h"

namespace {

using Clock = std::chrono::steady_clock;
using mtkfs::wire::HwPartition;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  std::uint64_t value = std::stoull(text, &used, 0);
  const std::string suffix = text.substr(used);
  if (suffix == "K" || suffix == "KiB")
    value <<= 10;
  else if (suffix == "M" || suffix == "MiB")
    value <<= 20;
  else if (suffix == "G" || suffix == "GiB")
    value <<= 30;
  else if (!suffix.empty())
    throw std::invalid_argument("unknown size suffix in " + text);
  return value;
}

// First mismatching byte offset inside `block`, or -1.
long long pattern_mismatch(const std::vector<std::uint8_t>& block, HwPartition part,
                           std::uint64_t offset) {
  for (std::size_t i = 0; i + 8 <= block.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, block.data() + i, 8);  // little-endian host assumed (x86/arm LE)
    const std::uint64_t expected =
        (std::uint64_t{static_cast<std::uint8_t>(part)} << 56) | (offset + i);
    if (word != expected) return static_cast<long long>(offset + i);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Raw read throughput of the mtkfs DA client (da::Device)"};
  std::string da_file, socket, port, usb, size_text = "256M", block_text = "16M",
                                          part_name = "user";
  int wait_seconds = 30;
  bool check_pattern = false, verbose = false;
  app.add_option("--da", da_file, "MTK_AllInOne_DA file")->required();
  auto* sock = app.add_option("--socket", socket, "UNIX socket of mtkfs-sim");
  auto* tty = app.add_option("--port", port, "tty or pty of the device");
  app.add_option("--usb", usb, "USB device BUS:ADDR")->excludes(sock)->excludes(tty);
  sock->excludes(tty);
  app.add_option("--wait", wait_seconds, "seconds to wait for the device (0 = forever)");
  app.add_option("--size", size_text, "bytes to read (suffix K/M/G)");
  app.add_option("--block", block_text, "bytes per Device::read call (suffix K/M/G)");
  app.add_option("--part", part_name, "boot1, boot2 or user");
  app.add_flag("--check-pattern", check_pattern, "verify mtkfs-sim's pattern words");
  app.add_flag("-v,--verbose", verbose, "log protocol progress");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::warn);

  const std::map<std::string, HwPartition> parts = {
      {"boot1", HwPartition::boot1}, {"boot2", HwPartition::boot2}, {"user", HwPartition::user}};
  try {
    if (!parts.count(part_name)) throw std::invalid_argument("unknown partition " + part_name);
    const HwPartition part = parts.at(part_name);
    const std::uint64_t size = parse_bytes(size_text);
    const std::uint64_t block = parse_bytes(block_text);
    if (block == 0 || block % 512 || size % 512)
      throw std::invalid_argument("--size and --block must be multiples of 512, block > 0");

    mtkfs::transport::ConnectOptions connect{usb, port, socket, wait_seconds, true};
    mtkfs::da::Device device([connect] { return mtkfs::transport::open_transport(connect); },
                             da_file);
    auto start = Clock::now();
    const auto& info = device.connect();
    const double connect_s = seconds_since(start);
    if (size > device.size(part))
      throw std::invalid_argument("--size exceeds the partition (" +
                                  std::to_string(device.size(part)) + " bytes)");

    std::vector<std::uint8_t> buffer(block);
    start = Clock::now();
    for (std::uint64_t at = 0; at < size; at += block) {
      const std::uint64_t n = std::min(block, size - at);
      buffer.resize(n);
      device.read(part, at, buffer);
      if (check_pattern) {
        const long long bad = pattern_mismatch(buffer, part, at);
        if (bad >= 0)
          throw mtkfs::da::DeviceError("pattern mismatch at offset " + std::to_string(bad));
      }
    }
    const double read_s = seconds_since(start);
    device.close(mtkfs::da::EndMode::stay);
    std::printf(
        "transport: %s\nconnect: %.3f s\nread: %llu bytes of %s in %.3f s = %.1f MB/s "
        "(%.1f MiB/s), block %llu%s\n",
        info.connection.c_str(), connect_s, static_cast<unsigned long long>(size),
        part_name.c_str(), read_s, static_cast<double>(size) / read_s / 1e6,
        static_cast<double>(size) / read_s / (1 << 20), static_cast<unsigned long long>(block),
        check_pattern ? ", pattern verified" : "");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-bench-read: %s\n", e.what());
    return 1;
  }
}
