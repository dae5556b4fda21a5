// libFuzzer target: the simulator's parsing of the host byte stream (sim/device.h, all firmware
// stages: LISTEN/handshake, Preloader commands, DA1, DA2 commands), in-process with image files
// in a tmpfs directory. Input format: sim_input.h.
//
// The seam is the DeviceLink interface: FuzzLink serves the host writes one at a time, turns a
// pause record into "deadline passed" (the only way time enters the firmware), sleeps never, and
// reports "host closed" (HostGone) at the end of the input, so every run ends by itself.
//
// Invariants: Device::run returns (libFuzzer's -timeout catches a hang) and lets no exception
// out, no unit is empty (a zero-length USB packet), and the region files keep exactly their sizes
// with no other file appearing (no write outside a region). A run also ends once the device has
// sent more than kOutputBudget, as a host would stop listening (see there).
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "sim/device.h"
#include "sim/image/synthetic_da.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/scratch_dir.h"
#include "tests/fuzz/sim_input.h"

namespace {

namespace fs = std::filesystem;
using namespace mtkfs;
using fuzz::sim_input::HostWrite;

using fuzz::sim_input::kBootSize;
using fuzz::sim_input::kUserSize;
// Output budget per run: above the largest reply the regions bound (the whole 1 MiB user area in
// one D6 chunk). READ32 (D1) may legally ask for 1 Gi dwords (4 GiB, one unit each) and the split
// fault makes every reply byte a unit: past the budget the host is taken to have stopped
// listening, and the run ends (kept small so that such inputs do not slow the fuzzer down).
constexpr std::uint64_t kOutputBudget = (1 << 20) + (256 << 10);
constexpr std::uint64_t kUnitBudget = 1 << 17;
const char* const kRegionFiles[] = {"boot1.img", "boot2.img", "rpmb.img", "user.img"};

class FuzzLink final : public sim::DeviceLink {
 public:
  FuzzLink(std::vector<HostWrite> writes, bool tool_present)
      : writes_(std::move(writes)), tool_present_(tool_present) {}

  std::size_t read_some(std::span<std::uint8_t> buffer, sim::Clock::time_point deadline) override {
    while (next_ < writes_.size()) {
      const HostWrite& w = writes_[next_];
      if (w.pause) {
        ++next_;
        if (deadline != sim::kForever) return 0;
        continue;  // nobody waits forever for a pause to end: the next write comes
      }
      const std::size_t n = std::min(buffer.size(), w.bytes.size() - offset_);
      std::copy_n(w.bytes.begin() + static_cast<std::ptrdiff_t>(offset_), n, buffer.begin());
      offset_ += n;
      if (offset_ == w.bytes.size()) {
        ++next_;
        offset_ = 0;
      }
      if (n > 0 || buffer.empty()) return n;
    }
    if (host_gone_) throw sim::LinkStopped();  // asked again after the session ended: stop
    host_gone_ = true;
    throw sim::HostGone();
  }

  void send_unit(std::span<const std::uint8_t> unit) override {
    FUZZ_CHECK(!unit.empty(), "the device sent an empty unit (a zero-length packet)");
    sent_ += unit.size();
    if (sent_ > kOutputBudget || ++units_ > kUnitBudget) throw sim::LinkStopped();
  }

  bool tool_present() const override { return tool_present_; }
  void disconnect(bool) override {}
  void set_muted(bool) override {}
  void sleep_for(std::chrono::milliseconds) override {}

 private:
  std::vector<HostWrite> writes_;
  bool tool_present_;
  std::size_t next_ = 0;
  std::size_t offset_ = 0;
  bool host_gone_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t units_ = 0;
};

sim::SimConfig config_from(std::span<const std::uint8_t> c, const fs::path& scratch, bool& usb, bool& tool_present) {
  sim::SimConfig config;
  config.dir = scratch / "img";
  config.boot1_size = config.boot2_size = kBootSize;
  config.rpmb_size = (c[1] & 0x80) ? 0 : kBootSize;
  config.user_size = kUserSize;
  config.ready = (c[0] & 3) == 1 ? std::optional(true) : (c[0] & 3) == 2 ? std::optional(false) : std::nullopt;
  config.swallow_first_a0 = !(c[0] & 0x04);
  config.trailer = (c[0] & 0x08) ? sim::Trailer::prefixed : sim::Trailer::plain;
  config.allow_rpmb = c[0] & 0x10;
  config.speed_switch = c[0] & 0x20;
  config.strict_config = c[0] & 0x40;
  config.require_aligned = c[0] & 0x80;
  usb = c[1] & 0x01;
  const int reset = (c[1] >> 1) & 3;
  config.reset_on_host_close = reset == 1 ? std::optional(true) : reset == 2 ? std::optional(false) : std::nullopt;
  const int units = (c[1] >> 3) & 3;
  config.faults.units = units == 1 ? sim::UnitFault::split : units == 2 ? sim::UnitFault::merge : sim::UnitFault::none;
  tool_present = !(c[1] & 0x20);
  if (c[1] & 0x40) {
    static const std::vector<std::uint8_t> da = sim::image::build_synthetic_da(sim::image::fuzz_da_options());
    config.da_file = scratch / "da.bin";
    std::ofstream(*config.da_file, std::ios::binary).write(reinterpret_cast<const char*>(da.data()), static_cast<std::streamsize>(da.size()));
  }
  config.nand_id_count = c[2] & 0x0F;
  switch ((c[3] & 0x7F) % 5) {
    case 1: config.faults.corrupt_chunk = c[4]; break;
    case 2: config.faults.drop_after_bytes = std::uint64_t{c[4]} * 8 + c[5]; break;
    case 3:
      config.faults.nack_command = c[4];
      config.faults.nack_count = c[5] % 4;
      break;
    case 4: config.faults.reenter_preloader_after = c[4] % 16; break;
    default: break;
  }
  // The reply-delay fault only calls DeviceLink::sleep_for, which takes no time here.
  if (c[3] & 0x80) config.faults.delay = std::chrono::milliseconds(1 + c[5]);
  config.once = true;
  // MTKFS_FUZZ_VERBOSE: the simulator's own trace (both directions, state notes) on stderr.
  if (std::getenv("MTKFS_FUZZ_VERBOSE")) config.trace_path = "/dev/stderr";
  return config;
}

void check_region_files(const sim::SimConfig& config) {
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(config.dir)) {
    ++entries;
    const std::string name = entry.path().filename().string();
    const bool known = name == kRegionFiles[0] || name == kRegionFiles[1] || name == kRegionFiles[2] || name == kRegionFiles[3];
    FUZZ_CHECK(known, "the simulator created " + name);
  }
  FUZZ_CHECK(entries == 4, "region files missing");
  const std::uint64_t sizes[4] = {config.boot1_size, config.boot2_size, config.rpmb_size, *config.user_size};
  for (int i = 0; i < 4; ++i) {
    struct stat st {};
    FUZZ_CHECK(::stat((config.dir / kRegionFiles[i]).c_str(), &st) == 0, "stat failed");
    FUZZ_CHECK(static_cast<std::uint64_t>(st.st_size) == sizes[i],
               std::string(kRegionFiles[i]) + " changed size to " + std::to_string(st.st_size));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (size < fuzz::sim_input::kConfigSize) return 0;
  const fuzz::ScratchDir scratch;  // fresh zeroed images for every input
  bool usb = false;
  bool tool_present = true;
  const sim::SimConfig config = config_from(in.first(fuzz::sim_input::kConfigSize), scratch.path(), usb, tool_present);
  {
    sim::Device device(config, usb ? sim::Transport::usb : sim::Transport::stream);
    FuzzLink link(fuzz::sim_input::decode_writes(in), tool_present);
    try {
      device.run(link);
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, std::string("exception escaped Device::run: ") + e.what());
    }
  }
  check_region_files(config);
  return 0;
}
