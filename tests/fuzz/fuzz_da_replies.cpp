// libFuzzer target: the host's parsing of device replies (da/), from single parsers up to the
// whole Device facade. Input format: replies_input.h; byte 0 picks the mode:
//   0 flash report + trailer, pure        3 DA2 commands (READ/WRITE/60/72/70/DB/D9)
//   1 the same over a transport (DaBoot)  4 Preloader client (handshake, identify, SEND_DA, JUMP_DA)
//   2 DA1 sync, stage-2 config + upload   5 Device: connect() with the synthetic DA file, then I/O
// Invariants (besides no crash/leak/UB, and no exception other than DeviceError/DaFileError
// escaping, which libFuzzer reports as a crash): see each mode.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "da/device.h"
#include "da/errors.h"
#include "sim/image/synthetic_da.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/replies_modes.h"

namespace mtkfs::fuzz {

// params: [0] open failure (1-based open index, 0 none), [1] read retries, [2..13] three
// operations [op][partition][offset in sectors][sectors], [14] how the session ends.
void replies_device(const replies_input::Input& in) {
  static const da::DaFile da_file = da::parse_da_file(sim::image::build_synthetic_da(sim::image::fuzz_da_options()), "synthetic DA");
  int opens = 0;
  auto open = [&]() -> std::unique_ptr<transport::Transport> {
    ++opens;
    if (opens == in.params[0]) throw transport::DisconnectedError("fuzz: no device");
    return std::make_unique<FuzzTransport>(in.stream);
  };
  da::DeviceOptions options;
  options.timing = replies_timing();
  options.read_retries = in.params[1] % 4;
  da::Device device(open, da_file, options);
  try {
    const da::FlashInfo& info = device.connect();
    FUZZ_CHECK(info.report.emmc_ret == 0, "connected to a device whose eMMC failed");
    // Full speed is accepted (with a warning) only once the speed switch has been tried.
    FUZZ_CHECK(info.usb_speed != wire::da::kSpeedFull || opens >= 2,
               "connected at full speed without trying the speed switch");
    FUZZ_CHECK(!format_flash_info(info).empty() && !device.describe().empty(), "empty description");
    note("connected");
  } catch (const da::DeviceError& e) {
    FUZZ_CHECK(!device.connected(), "connect() failed but the device says connected");
    note(std::string("connect failed: ") + e.what());
    return;
  } catch (const da::DaFileError& e) {
    note(e.what());  // the device reported a chip the DA file has no entry for
    return;
  }
  for (std::size_t op = 0; op < 3; ++op) {
    const std::uint8_t* p = &in.params[2 + op * 4];
    const auto part = static_cast<wire::HwPartition>(p[1] % 9);
    const std::uint64_t offset = std::uint64_t{p[2]} * wire::kSectorSize;
    std::vector<std::uint8_t> buffer((std::size_t{p[3]} % 8 + (p[0] & 0x10 ? 0 : 1)) * wire::kSectorSize, 0x33);
    try {
      if (p[0] & 1) {
        device.write(part, offset, buffer);
      } else {
        device.read(part, offset, buffer);
        FUZZ_CHECK(served_as_checked_chunk(*in.stream, buffer), "Device::read returned unchecked bytes");
      }
      FUZZ_CHECK(offset <= device.size(part) && buffer.size() <= device.size(part) - offset,
                 "I/O beyond the reported partition size succeeded");
      note("operation " + std::to_string(op) + " done");
    } catch (const da::DeviceError& e) {
      note("operation " + std::to_string(op) + ": " + e.what());
    }
  }
  try {
    device.close(static_cast<da::EndMode>(in.params[14] % 3));
    note("closed");
  } catch (const da::DeviceError& e) {
    note(std::string("close: ") + e.what());
  }
  FUZZ_CHECK(!device.connected(), "still connected after close()");
}

}  // namespace mtkfs::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the host logs every step; the fuzzer wants speed
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtkfs::fuzz;
  const replies_input::Input in = replies_input::decode(std::span<const std::uint8_t>(data, size));
  if (size < replies_input::kFixedHeader) return 0;
  switch (in.mode % 6) {
    case 0: replies_pure_report(in); break;
    case 1: replies_read_report(in); break;
    case 2: replies_da1_sync(in); break;
    case 3: replies_da2_commands(in); break;
    case 4: replies_preloader(in); break;
    default: replies_device(in); break;
  }
  return 0;
}
