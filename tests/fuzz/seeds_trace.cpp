// Seeds for fuzz_trace_file: a session traced by mtkfs's own writer (transport/wire_trace.h) while
// its Device talks to the in-process simulator over a socket, and small hand-written traces for the
// replay rules (handshake retry, zero-length packets, re-enumeration) and the format's corners.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "da/device.h"
#include "sim/image/image.h"
#include "sim/image/synthetic_da.h"
#include "sim/sim.h"
#include "tests/fuzz/make_seeds.h"
#include "tests/support/temp_dir.h"
#include "transport/open_transport.h"

namespace mtkfs::fuzz::seeds {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// connect(), read 8 sectors of the user area, reboot; every byte traced.
std::string recorded_session(const fs::path& dir) {
  sim::image::InitOptions init;
  init.dir = dir / "img";
  init.layout = sim::image::Layout::none;
  init.user_size = 1 << 20;
  sim::image::init_disk(init);
  sim::SimConfig config;
  config.dir = dir / "img";
  sim::SocketServer server(config, dir / "sim.sock");
  transport::ConnectOptions options;
  options.socket = (dir / "sim.sock").string();
  options.wait_seconds = 5;
  options.trace = transport::WireTrace::create((dir / "session.trace").string());
  da::DeviceOptions device_options;
  device_options.timing.hw_sw_ver_delay = device_options.timing.stage2_config_delay = da::Millis{0};
  device_options.timing.stage2_final_ack_delay = da::Millis{0};
  {
    da::Device device([&] { return transport::open_transport(options); },
                      da::parse_da_file(sim::image::build_synthetic_da(sim::image::fuzz_da_options()), "synthetic DA"),
                      device_options);
    device.connect();
    std::vector<std::uint8_t> user(8 * 512);
    device.read(wire::HwPartition::user, 0, user);
    device.close(da::EndMode::reboot);
  }
  std::stringstream text;
  text << std::ifstream(dir / "session.trace").rdbuf();
  return text.str();
}

const char* const kHeader = "# mtkfs wire trace 1\n";

}  // namespace

void trace_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "fuzz_trace_file";
  testing::TempDir scratch;
  write_seed(dir, "mtkfs_session", bytes_of(recorded_session(scratch.path())));
  write_seed(dir, "handshake_zlp",
             bytes_of(std::string(kHeader) +
                      "@ 0.000100 open usb 1-4 (0e8d:2000)\n"
                      "D>H 0.000200 5 \"handshake byte A0\" 5245414459\n"
                      "H>D 0.001000 1 \"handshake byte A0\" a0\n"
                      "H>D 0.051000 1 \"handshake byte A0\" a0\n"
                      "D>H 0.052000 1 \"handshake byte A0\" 5f\n"
                      "H>D 0.053000 1 \"handshake byte\" 0a\n"
                      "D>H 0.054000 1 \"handshake byte\" f5\n"
                      "H>D 0.055000 4 \"READ (D6) \\\"x\\\" \\\\ \\x09\" 01020304\n"
                      "D>H 0.056000 4 \"data\" 7777AAAA\n"
                      "D>H 0.057000 0 \"data\" -\n"
                      "@ 0.060000 close usb 1-4 (0e8d:2000)\n"));
  write_seed(dir, "reenumeration",
             bytes_of(std::string(kHeader) +
                      "# comment\r\n"
                      "@ 0.1 open usb 1-1 (0e8d:2000)\r\n"
                      "H>D 0.2 2 \"USB_SETUP_PORT (70)\" 7001\r\n"
                      "D>H 0.3 1 \"ack\" 5a\r\n"
                      "@ 0.4 close usb 1-1 (0e8d:2000)\r\n"
                      "\r\n"
                      "@ 1.4 open usb 1-2 (0e8d:2001)\r\n"
                      "H>D 1.5 1 \"USB_CHECK_STATUS (72)\" 72\r\n"
                      "D>H 1.6 2 \"status\" 5a00\r\n"
                      "H>D 1.7 1 \"torn\" d"));
}

}  // namespace mtkfs::fuzz::seeds
