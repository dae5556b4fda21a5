// Seeds for fuzz_da_replies and fuzz_sim. The two full conversations are recorded: mtkfs's
// Device (da/) talks to the in-process simulator over its socket through a transport that
// logs both directions; the host's writes become fuzz_sim inputs, the device's bytes (with a gap
// wherever the host timed out) fuzz_da_replies inputs. The rest is built from the spec tables.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "da/checksum.h"
#include "da/device.h"
#include "da/wire.h"
#include "sim/sim.h"
#include "sim/image/synthetic_da.h"
#include "tests/fuzz/make_seeds.h"
#include "tests/fuzz/replies_input.h"
#include "tests/fuzz/seeds_wire.h"
#include "tests/fuzz/sim_input.h"
#include "tests/support/temp_dir.h"
#include "transport/open_transport.h"

namespace mtkfs::fuzz::seeds {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using replies_input::Encoder;

struct Recording {
  std::vector<Bytes> host_writes;
  std::size_t connect_writes = 0;  // host writes up to the end of connect()
  Encoder device;
};

class RecordingTransport final : public transport::Transport {
 public:
  RecordingTransport(std::unique_ptr<transport::Transport> inner, Recording& log) : inner_(std::move(inner)), log_(log) {}
  void write_all(std::span<const std::uint8_t> data, transport::Millis timeout) override {
    inner_->write_all(data, timeout);
    log_.host_writes.emplace_back(data.begin(), data.end());
  }
  void read_exact(std::span<std::uint8_t> out, transport::Millis timeout) override {
    try {
      inner_->read_exact(out, timeout);
    } catch (const transport::TimeoutError&) {
      log_.device.gap();  // the bytes stay buffered: the replay times out here once, as the host did
      throw;
    }
    log_.device.bytes(out);
  }
  void discard_input() override {
    inner_->discard_input();
    log_.device.discard_mark();
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<transport::Transport> inner_;
  Recording& log_;
};

// Same region sizes as fuzz_sim, so that the recorded reads are valid there too.
sim::SimConfig recording_config(const fs::path& dir) {
  sim::SimConfig config;
  config.dir = dir / "img";
  config.boot1_size = config.boot2_size = config.rpmb_size = sim_input::kBootSize;
  config.user_size = sim_input::kUserSize;
  return config;
}

// connect(), read 8 sectors of user at 0, 1 sector of boot1 at sector 1, write 1 sector of 0x33
// to user sector 8, reboot: exactly what fuzz_da_replies mode 5 replays with kDeviceParams.
Recording record(sim::SimConfig config, const fs::path& socket) {
  sim::SocketServer server(config, socket);
  Recording rec;
  transport::ConnectOptions options;
  options.socket = socket.string();
  options.wait_seconds = 5;
  da::DeviceOptions device_options;
  device_options.timing.hw_sw_ver_delay = device_options.timing.stage2_config_delay = da::Millis{0};
  device_options.timing.stage2_final_ack_delay = device_options.timing.speed_switch_settle = da::Millis{0};
  da::Device device([&] { return std::make_unique<RecordingTransport>(transport::open_transport(options), rec); },
                    da::parse_da_file(sim::image::build_synthetic_da(sim::image::fuzz_da_options()), "synthetic DA"), device_options);
  device.connect();
  rec.connect_writes = rec.host_writes.size();
  Bytes user(8 * 512), boot1(512), data(512, 0x33);
  device.read(wire::HwPartition::user, 0, user);
  device.read(wire::HwPartition::boot1, 512, boot1);
  device.write(wire::HwPartition::user, 8 * 512, data);
  device.close(da::EndMode::reboot);
  return rec;
}

constexpr std::array<std::uint8_t, 16> kDeviceParams = {0, 3, 0, 8, 0, 7, 0, 1, 1, 0, 1, 8, 8, 0, 1, 0};

Bytes sim_seed(const std::array<std::uint8_t, 6>& config, const std::vector<Bytes>& writes, std::size_t count) {
  Bytes out(config.begin(), config.end());
  for (std::size_t i = 0; i < count && i < writes.size(); ++i) sim_input::append_write(out, writes[i]);
  return out;
}

}  // namespace

void replies_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "fuzz_da_replies";
  for (const std::uint8_t mode : {0, 1}) {
    const char* prefix = mode == 0 ? "pure_" : "boot_";
    Encoder plain;
    plain.mode = mode;
    plain.bytes(flash_report(false));
    plain.bytes(trailer(false));
    write_seed(dir, std::string(prefix) + "report_plain", plain.encode());
    Encoder prefixed = plain;
    prefixed.stream = flash_report(false);
    prefixed.bytes(trailer(true));
    write_seed(dir, std::string(prefix) + "report_prefixed", prefixed.encode());
    Encoder old = plain;
    old.stream = flash_report(true);
    old.bytes(trailer(false));
    write_seed(dir, std::string(prefix) + "report_u32_layout", old.encode());
  }
  {
    Encoder e;
    e.mode = 2;
    e.params[2] = 0x80;  // stage 2 of 0x80 * 64 + 0x10 bytes: three 0x1000 chunks
    e.params[3] = 0x10;
    da1_sync(e);
    e.be(0, 4);          // stage-2 config status
    for (int i = 0; i < 5; ++i) e.u8(wire::da::kAck);  // header, 3 chunks, final
    write_seed(dir, "da1_sync_stage2", e.encode());
  }
  for (const Encoder& e : da2_command_seeds()) write_seed(dir, "da2_" + std::to_string(e.params[15]), e.encode());
  write_seed(dir, "preloader_identify_send_da", preloader_seed().encode());

  testing::TempDir work;
  sim::SimConfig config = recording_config(work.path());
  Recording rec = record(config, work / "sim.sock");
  rec.device.mode = 5;
  rec.device.params = kDeviceParams;
  write_seed(dir, "device_connect_rw_reboot", rec.device.encode());
  config.trailer = sim::Trailer::prefixed;
  config.speed_switch = true;
  Recording switched = record(config, work / "sim2.sock");
  switched.device.mode = 5;
  switched.device.params = kDeviceParams;
  write_seed(dir, "device_prefixed_speed_switch", switched.device.encode());
}

void sim_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "fuzz_sim";
  testing::TempDir work;
  const Recording rec = record(recording_config(work.path()), work / "sim.sock");
  // [0] plain defaults (stream, READY off, first A0 swallowed), [1] 0, [2] 7 NAND ids.
  write_seed(dir, "mtkfs_session", sim_seed({0, 0, 7, 0, 0, 0}, rec.host_writes, rec.host_writes.size()));
  write_seed(dir, "mtkfs_session_da_check", sim_seed({0, 0x40, 7, 0, 0, 0}, rec.host_writes, rec.host_writes.size()));
  write_seed(dir, "mtkfs_session_usb_ready", sim_seed({1, 0x01, 7, 0, 0, 0}, rec.host_writes, rec.host_writes.size()));
  write_seed(dir, "mtkfs_session_corrupt_chunk", sim_seed({0, 0, 7, 1, 0, 0}, rec.host_writes, rec.host_writes.size()));
  sim::SimConfig switching = recording_config(work.path());
  switching.trailer = sim::Trailer::prefixed;
  switching.speed_switch = true;
  const Recording switched = record(switching, work / "sim2.sock");
  write_seed(dir, "mtkfs_session_prefixed_speed_switch",
             sim_seed({0x28, 0, 7, 0, 0, 0}, switched.host_writes, switched.host_writes.size()));

  Bytes da2 = sim_seed({0x10, 0x08, 7, 0, 0, 0}, rec.host_writes, rec.connect_writes);  // RPMB allowed, split units
  for (const Bytes& w : da2_host_commands()) sim_input::append_write(da2, w);
  write_seed(dir, "da2_pmt_read_switch", da2);

  Bytes nack = sim_seed({0x80, 0x10, 7, 3, wire::da::kCmdRead, 1}, rec.host_writes, rec.connect_writes);
  for (const Bytes& w : da2_nack_commands()) {
    if (w.empty())
      sim_input::append_pause(nack);
    else
      sim_input::append_write(nack, w);
  }
  write_seed(dir, "da2_nack_aligned_merge", nack);

  Bytes pl = {0x05, 0x01, 0, 0, 0, 0};  // USB, READY on, first A0 answered
  sim_input::append_pause(pl);
  for (const Bytes& w : preloader_host_commands()) sim_input::append_write(pl, w);
  write_seed(dir, "preloader_commands", pl);
}

}  // namespace mtkfs::fuzz::seeds
