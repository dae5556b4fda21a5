// mtkfs-bench-raw: a DA session without FUSE. Connects (socket, pty, the simulator's USB model run in
// this process under the real PacketStreamTransport, or a real device on USB), then reads or writes N bytes of a hardware
// partition, either straight through da::Device or through cache::Cache the way the FUSE layer does
// (1 MiB requests on one read-ahead stream). With --compare IMAGE every byte read is compared with the
// simulator's image file, and writes send the image's own bytes (the device content stays the same).
// Prints one line of key=value figures: seconds/mbps of the data phase only (connect excluded),
// host_cpu_s (this process' reading side: the simulator thread and the comparison are subtracted),
// sim_cpu_s (the USB model's thread, or the external simulator process given with --sim-pid), DA
// commands, USB transfers.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "bench/bench_util.h"
#include "sim/usb_model_endpoint.h"
#include "cache/cache.h"
#include "da/device.h"
#include "da/errors.h"
#include "sim/sim.h"
#include "transport/open_transport.h"
#include "transport/packet_stream_transport.h"

namespace {

using namespace mtkfs;
using bench::Clock;

struct Options {
  std::string da_file, socket, port, usb, usb_model_dir, part_name = "user", link_model = "none";
  std::string size_text = "1G", block_text = "32M", offset_text = "0", cache_text = "256M", compare_file;
  bool through_cache = false, write = false, verbose = false, print_timing = false;
  int sim_pid = 0;
};

// CPU seconds of another process (all its threads), nanosecond resolution.
double other_process_cpu_seconds(int pid) { return bench::process_cpu_seconds(static_cast<pid_t>(pid)); }

// The in-process USB device and the host side's view of it.
class UsbModelHost {
 public:
  UsbModelHost(const std::string& dir, bool usb2_hs) {
    sim::SimConfig config;
    config.dir = dir;
    if (usb2_hs) config.link_model = sim::LinkModel::usb2_hs;
    const auto before = bench::thread_ids();
    model_ = std::make_unique<sim::UsbDeviceModel>(config);
    for (pid_t id : bench::thread_ids())
      if (!before.count(id)) sim_threads_.push_back(id);
  }

  std::unique_ptr<transport::Transport> open() {
    if (!model_->wait_enumerated(std::chrono::seconds(5)))
      throw transport::DisconnectedError("the simulated USB device is not on the bus");
    // What UsbTransport does on open (docs/protocol/usb.md §4.2): the line coding makes the Preloader listen.
    const std::uint8_t coding[7] = {0x00, 0x10, 0x0E, 0x00, 0x00, 0x00, 0x08};
    model_->control_out(0x21, 0x20, 0, 0, coding);
    model_->control_out(0x21, 0x22, 2, 0, {});
    return std::make_unique<transport::PacketStreamTransport>(
        std::make_unique<sim::UsbModelEndpoint>(*model_, counters_), "usb model (in process)",
        transport::BootStage::preloader);
  }

  double sim_cpu_seconds() const {
    double total = 0;
    for (pid_t id : sim_threads_) total += bench::tid_cpu_seconds(id);
    return total;
  }
  const sim::UsbTransferCounts& counters() const { return counters_; }

 private:
  std::unique_ptr<sim::UsbDeviceModel> model_;
  std::vector<pid_t> sim_threads_;
  sim::UsbTransferCounts counters_;
};

wire::HwPartition partition_of(const std::string& name) {
  static const std::map<std::string, wire::HwPartition> parts = {
      {"boot1", wire::HwPartition::boot1}, {"boot2", wire::HwPartition::boot2}, {"user", wire::HwPartition::user}};
  if (!parts.count(name)) throw std::invalid_argument("unknown partition " + name);
  return parts.at(name);
}

struct Result {
  double seconds = 0;
  std::uint64_t da_commands = 0;  // D6 READ (or 62 WRITE) commands
  double check_cpu = 0;           // spent on the image file (comparing, fetching), not part of the host side
};

// The simulator's image file of the partition: what the device must deliver.
class ImageFile {
 public:
  explicit ImageFile(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path);
  }
  ~ImageFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool open() const { return fd_ >= 0; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n <= 0) throw std::runtime_error("the image file is shorter than the partition");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_ = -1;
};

class Runner {
 public:
  Runner(const Options& o, da::Device& device, wire::HwPartition part)
      : o_(o), device_(device), part_(part), image_(o.compare_file) {}

  Result run(std::uint64_t offset, std::uint64_t size, std::uint64_t block) {
    if (o_.write) return write(offset, size, block);
    return o_.through_cache ? read_cached(offset, size) : read_direct(offset, size, block);
  }

 private:
  void check(std::span<const std::uint8_t> data, std::uint64_t at, Result& r) {
    if (!image_.open()) return;
    const double start = bench::thread_cpu_seconds();
    expected_.resize(data.size());
    image_.read(at, expected_);
    const bool same = std::memcmp(data.data(), expected_.data(), data.size()) == 0;
    r.check_cpu += bench::thread_cpu_seconds() - start;
    if (!same) {
      std::size_t i = 0;
      while (data[i] == expected_[i]) ++i;
      throw da::DeviceError("wrong bytes: the device delivered something else than the image at offset " +
                            std::to_string(at + i));
    }
  }

  Result read_direct(std::uint64_t offset, std::uint64_t size, std::uint64_t block) {
    Result r;
    std::vector<std::uint8_t> buffer(block);
    const auto start = Clock::now();
    for (std::uint64_t at = offset; at < offset + size; at += block) {
      const std::size_t n = static_cast<std::size_t>(std::min(block, offset + size - at));
      device_.read(part_, at, std::span(buffer.data(), n));
      ++r.da_commands;
      check(std::span(buffer.data(), n), at, r);
    }
    r.seconds = bench::seconds_since(start);
    return r;
  }

  // The FUSE layer's way: 1 MiB requests on one stream, the cache's I/O thread reads ahead.
  Result read_cached(std::uint64_t offset, std::uint64_t size) {
    Result r;
    cache::CacheOptions options;
    options.cache_size = mtkfs::parse_size(o_.cache_text, "--cache-size");
    cache::Cache cache(device_, options);
    const cache::StreamId stream = cache.open_stream();
    std::vector<std::uint8_t> buffer(1 << 20);
    const auto start = Clock::now();
    for (std::uint64_t at = offset; at < offset + size; at += buffer.size()) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), offset + size - at));
      cache.read(part_, at, std::span(buffer.data(), n), stream);
      check(std::span(buffer.data(), n), at, r);
    }
    r.seconds = bench::seconds_since(start);
    cache.close_stream(stream);
    r.da_commands = cache.stats().device_reads;
    return r;
  }

  // Writes the image's own bytes back (the device content stays the same), then reads the range again
  // and compares (not timed).
  Result write(std::uint64_t offset, std::uint64_t size, std::uint64_t block) {
    if (!image_.open()) throw std::invalid_argument("--write needs --compare IMAGE (the bytes to write)");
    Result r;
    std::vector<std::uint8_t> buffer(block);
    const auto start = Clock::now();
    for (std::uint64_t at = offset; at < offset + size; at += block) {
      const std::size_t n = static_cast<std::size_t>(std::min(block, offset + size - at));
      const double fetch_start = bench::thread_cpu_seconds();
      image_.read(at, std::span(buffer.data(), n));
      r.check_cpu += bench::thread_cpu_seconds() - fetch_start;
      device_.write(part_, at, std::span(buffer.data(), n));
      ++r.da_commands;
    }
    r.seconds = bench::seconds_since(start);
    {
      Result verify;
      for (std::uint64_t at = offset; at < offset + size; at += block) {
        const std::size_t n = static_cast<std::size_t>(std::min(block, offset + size - at));
        device_.read(part_, at, std::span(buffer.data(), n));
        check(std::span(buffer.data(), n), at, verify);
      }
    }
    return r;
  }

  const Options& o_;
  da::Device& device_;
  wire::HwPartition part_;
  ImageFile image_;
  std::vector<std::uint8_t> expected_;
};

// The host's fixed pauses while connecting (da/timing.h), for the startup figure.
void print_timing() {
  const da::Timing t;
  std::printf("hw_sw_ver_delay_ms=%lld stage2_config_delay_ms=%lld stage2_final_ack_delay_ms=%lld\n",
              static_cast<long long>(t.hw_sw_ver_delay.count()),
              static_cast<long long>(t.stage2_config_delay.count()),
              static_cast<long long>(t.stage2_final_ack_delay.count()));
}

int run(const Options& o) {
  if (o.print_timing) {
    print_timing();
    return 0;
  }
  const wire::HwPartition part = partition_of(o.part_name);
  const std::uint64_t size = mtkfs::parse_size(o.size_text, "--size");
  const std::uint64_t block = mtkfs::parse_size(o.block_text, "--block");
  const std::uint64_t offset = mtkfs::parse_size(o.offset_text, "--offset");
  if (block == 0 || block % 512 || size % 512 || offset % 512)
    throw std::invalid_argument("--size, --offset and --block must be multiples of 512, block > 0");
  if (o.link_model != "none" && o.link_model != "usb2-hs")
    throw std::invalid_argument("--link-model is none or usb2-hs");

  std::unique_ptr<UsbModelHost> usb;
  std::string medium;
  da::Device::TransportFactory factory;
  if (!o.usb_model_dir.empty()) {
    usb = std::make_unique<UsbModelHost>(o.usb_model_dir, o.link_model == "usb2-hs");
    factory = [&usb] { return usb->open(); };
    medium = "usb-model";
  } else {
    transport::ConnectOptions connect;
    connect.socket = o.socket;
    connect.port = o.port;
    connect.usb_selector = o.usb == "any" ? "" : o.usb;
    connect.wait_seconds = 30;
    if (connect.socket.empty() && connect.port.empty() && o.usb.empty())
      throw std::invalid_argument("give --socket, --port, --usb or --usb-model");
    factory = [connect] { return transport::open_transport(connect); };
    medium = !o.usb.empty() ? "usb" : o.socket.empty() ? "pty" : "socket";
  }
  da::Device device(factory, o.da_file);
  auto start = Clock::now();
  device.connect();
  const double connect_s = bench::seconds_since(start);
  if (offset > device.size(part) || size > device.size(part) - offset)
    throw std::invalid_argument("the range leaves the partition (" + std::to_string(device.size(part)) + " bytes)");

  const double cpu0 = bench::process_cpu_seconds();
  const double sim0 = usb ? usb->sim_cpu_seconds() : other_process_cpu_seconds(o.sim_pid);
  const std::uint64_t in0 = usb ? usb->counters().in_transfers.load() : 0;
  const std::uint64_t out0 = usb ? usb->counters().out_transfers.load() : 0;
  Runner runner(o, device, part);
  const Result r = runner.run(offset, size, block);
  const double sim_cpu = (usb ? usb->sim_cpu_seconds() : other_process_cpu_seconds(o.sim_pid)) - sim0;
  const double process_cpu = bench::process_cpu_seconds() - cpu0;
  const double host_cpu = process_cpu - r.check_cpu - (usb ? sim_cpu : 0.0);
  const std::uint64_t usb_in = usb ? usb->counters().in_transfers.load() - in0 : 0;
  const std::uint64_t usb_out = usb ? usb->counters().out_transfers.load() - out0 : 0;
  device.close(da::EndMode::stay);

  const double gib = static_cast<double>(size) / bench::kGiB;
  std::printf(
      "medium=%s op=%s path=%s bytes=%llu seconds=%.3f mbps=%.1f host_cpu_s=%.3f host_cpu_per_gib=%.3f "
      "sim_cpu_s=%.3f sim_cpu_per_gib=%.3f connect_s=%.3f da_commands=%llu da_commands_per_gib=%.1f "
      "usb_in=%llu usb_in_per_gib=%.0f usb_out=%llu usb_out_per_gib=%.0f compared=%d\n",
      medium.c_str(), o.write ? "write" : "read", o.through_cache ? "cache" : "device",
      static_cast<unsigned long long>(size), r.seconds, static_cast<double>(size) / r.seconds / 1e6, host_cpu,
      host_cpu / gib, sim_cpu, sim_cpu / gib, connect_s, static_cast<unsigned long long>(r.da_commands),
      static_cast<double>(r.da_commands) / gib, static_cast<unsigned long long>(usb_in),
      static_cast<double>(usb_in) / gib, static_cast<unsigned long long>(usb_out),
      static_cast<double>(usb_out) / gib, o.compare_file.empty() ? 0 : 1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mtkfs benchmark: raw DA session throughput (no FUSE)"};
  Options o;
  app.add_flag("--print-timing", o.print_timing, "print the host's fixed connect pauses and exit");
  app.add_option("--da", o.da_file, "MTK_AllInOne_DA file");
  auto* sock = app.add_option("--socket", o.socket, "UNIX socket of mtkfs-sim");
  auto* tty = app.add_option("--port", o.port, "pty slave of mtkfs-sim --pty");
  auto* usb = app.add_option("--usb", o.usb, "a real device on USB: BUS:ADDR, or 'any' for the first one")
                  ->excludes(sock)
                  ->excludes(tty);
  app.add_option("--usb-model", o.usb_model_dir, "run sim::UsbDeviceModel on this image directory in process")
      ->excludes(sock)
      ->excludes(tty)
      ->excludes(usb);
  sock->excludes(tty);
  app.add_option("--link-model", o.link_model, "with --usb-model: none or usb2-hs");
  app.add_option("--sim-pid", o.sim_pid, "PID of the mtkfs-sim process (its CPU is reported)");
  app.add_option("--size", o.size_text, "bytes to move (K/M/G)");
  app.add_option("--offset", o.offset_text, "start offset in the partition");
  app.add_option("--block", o.block_text, "bytes per Device::read/write call (one DA command)");
  app.add_option("--part", o.part_name, "boot1, boot2 or user");
  app.add_option("--cache-size", o.cache_text, "with --through-cache: cache size");
  app.add_flag("--through-cache", o.through_cache, "read through cache::Cache in 1 MiB requests");
  app.add_flag("--write", o.write, "write instead of reading (needs --compare)");
  app.add_option("--compare", o.compare_file, "the simulator's image file of --part: reads are compared with it, "
                 "writes send its bytes");
  app.add_flag("-v,--verbose", o.verbose, "log protocol progress");
  CLI11_PARSE(app, argc, argv);
  if (o.da_file.empty() && !o.print_timing) {
    std::fprintf(stderr, "mtkfs-bench-raw: --da is required\n");
    return 2;
  }
  spdlog::set_level(o.verbose ? spdlog::level::info : spdlog::level::warn);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-bench-raw: %s\n", e.what());
    return 1;
  }
}
