// DA2 command loop (docs/protocol/legacy-da.md §6-§13). Replies are exactly the spec's units; where the
// spec is silent the choice is listed in sim/README.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/big_endian.h"
#include "sim/checksum.h"
#include "sim/device.h"
#include "sim/pmt.h"

namespace mtkfs::sim {
namespace {

namespace da = wire::da;
using wire::HwPartition;

constexpr auto kNackDiscardWindow = std::chrono::milliseconds(200);
constexpr std::uint32_t kMaxPacketSize = 0x1000000;  // what the reference simulator accepts
constexpr std::uint8_t kInvalidRangeLe[4] = {0xE0, 0x0B, 0x00, 0x00};
constexpr auto kMinRebootDelay = std::chrono::milliseconds(10);

class DaCommands {
 public:
  explicit DaCommands(DeviceContext& ctx) : ctx_(ctx), io_(ctx.io) {}

  [[noreturn]] void loop() {
    for (;;) {
      const auto& reenter = ctx_.config.faults.reenter_preloader_after;
      if (reenter && !ctx_.faults.reentered && ctx_.faults.da_commands >= *reenter) {
        ctx_.faults.reentered = true;
        io_.flush();  // the last command's replies still leave, as they would before a reset
        throw ReenterPreloader();
      }
      const std::uint8_t cmd = io_.read_byte("DA command");
      ++ctx_.faults.da_commands;
      dispatch(cmd);
    }
  }

 private:
  void dispatch(std::uint8_t cmd) {
    switch (cmd) {
      case da::kCmdUsbCheckStatus: usb_check_status(); break;
      case da::kCmdUsbSetupPort: usb_setup_port(); break;
      case da::kCmdSwitchPart: switch_part(); break;
      case da::kCmdRead: read(); break;
      case da::kCmdWrite: write(); break;
      case da::kCmdReadPmt: read_pmt(); break;
      case da::kCmdEnableWatchdog: enable_watchdog(); break;
      case da::kCmdFinish: finish(); break;
      default:
        spdlog::info("DA: unknown command 0x{:02X}", cmd);
        io_.send_u8(da::kUnknownCmd, "unknown command");
        break;
    }
  }

  // `--fault-nack CMD`: the command's first reply becomes a NACK (after `--fault-nack-skip` normal ones).
  bool fault_nack(std::uint8_t cmd) {
    const auto& f = ctx_.config.faults;
    if (!f.nack_command || *f.nack_command != cmd || ctx_.faults.nacks_sent >= f.nack_count) return false;
    if (ctx_.faults.nack_skipped < f.nack_skip) {
      ++ctx_.faults.nack_skipped;
      return false;
    }
    ++ctx_.faults.nacks_sent;
    spdlog::warn("fault: NACK for DA command 0x{:02X}", cmd);
    io_.note("fault: NACK");
    return true;
  }

  void nack(std::string_view what) { io_.send_u8(da::kNack, what); }

  bool selectable(std::uint8_t id) const {
    switch (id) {
      case 1: case 2: case 8: return true;
      case 3: return ctx_.config.allow_rpmb;
      case 4: case 5: case 6: case 7: return ctx_.regions.size(static_cast<HwPartition>(id)) > 0;
      default: return false;
    }
  }

  bool range_ok(HwPartition part, std::uint64_t address, std::uint64_t length) const {
    const std::uint64_t size = ctx_.regions.size(part);
    if (length == 0 || address > size || length > size - address) return false;
    if (ctx_.config.require_aligned && (address % wire::kSectorSize || length % wire::kSectorSize)) return false;
    return true;
  }

  std::uint8_t* buffer(std::size_t size) {
    if (buffer_.size() < size) buffer_.resize(size);
    return buffer_.data();
  }

  void usb_check_status() {
    if (fault_nack(da::kCmdUsbCheckStatus)) return nack("72 NACK");
    io_.send_u8(da::kAck, "72 ACK");
    io_.send_u8(ctx_.da_state.high_speed ? da::kSpeedHigh : da::kSpeedFull, "72 speed");
  }

  void usb_setup_port() {
    const std::uint8_t speed = io_.read_byte("70 speed");
    if (fault_nack(da::kCmdUsbSetupPort) || speed != da::kSpeedHigh) return nack("70 NACK");
    io_.send_u8(da::kAck, "70 ACK");
    if (!ctx_.config.speed_switch || ctx_.da_state.high_speed) return;  // already high speed: nothing to do
    ctx_.da_state.high_speed = true;
    io_.note("speed switch: re-enumerating as the DA port");
    io_.flush();
    io_.link().disconnect(true);
    throw DeviceDisconnected(true);
  }

  void switch_part() {
    if (fault_nack(da::kCmdSwitchPart)) return nack("60 NACK");
    io_.send_u8(da::kAck, "60 ACK");
    const std::uint8_t id = io_.read_byte("60 partition");
    if (!selectable(id)) return nack("60 partition NACK");
    ctx_.da_state.selected = static_cast<HwPartition>(id);
    io_.send_u8(da::kAck, "60 partition ACK");
  }

  void read() {
    std::uint8_t h[da::kReadHeaderSize - 1];
    io_.read_fields(h, {1, 1, 8, 8}, "D6 header");
    const std::uint8_t host_os = h[0];
    if (host_os < 0x0A || host_os > 0x0C) {
      // The byte came 18 bytes back; report its own offset.
      char text[128];
      std::snprintf(text, sizeof text, "unexpected byte 0x%02X at host stream offset %llu in state D6 host OS",
                    host_os, static_cast<unsigned long long>(io_.rx_offset() - sizeof h));
      throw ProtocolViolation(text);
    }
    const HwPartition part = ctx_.da_state.selected;
    const std::uint64_t address = be64(h + 2);
    const std::uint64_t length = be64(h + 10);
    const bool valid = h[1] == da::kStorageEmmc && range_ok(part, address, length);
    if (fault_nack(da::kCmdRead) || !valid) return read_nack();
    io_.send_u8(da::kAck, "D6 ACK");

    const std::uint32_t packet = io_.read_u32("D6 packet size");
    if (packet == 0 || packet > kMaxPacketSize) {
      throw ProtocolViolation("D6 packet size " + std::to_string(packet) + " out of range (1..16 MiB)");
    }
    std::uint8_t* data = buffer(std::min<std::uint64_t>(packet, length));
    for (std::uint64_t done = 0; done < length;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(packet, length - done));
      ctx_.regions.read(part, address + done, std::span(data, n));
      std::uint16_t sum = byte_sum16(std::span(data, n));
      const auto& corrupt = ctx_.config.faults.corrupt_chunk;
      const auto& corrupt_from = ctx_.config.faults.corrupt_from_chunk;
      const std::uint64_t chunk = ctx_.faults.d6_chunks;
      if ((corrupt && *corrupt == chunk) || (corrupt_from && *corrupt_from <= chunk)) {
        spdlog::warn("fault: corrupting the checksum of read chunk {}", ctx_.faults.d6_chunks);
        sum = static_cast<std::uint16_t>(~sum);
      }
      ++ctx_.faults.d6_chunks;
      send_read_chunk(std::span(data, n));
      io_.send_u16(sum, "D6 checksum");
      done += n;
      const std::uint8_t ack = io_.read_byte("D6 chunk ACK");
      if (ack == da::kNack) {
        spdlog::info("D6: host NACKed a chunk; command aborted");
        return;
      }
      if (ack != da::kAck) io_.unexpected(ack, "D6 chunk ACK");
    }
  }

  // Faults::d6_pieces: the chunk as many transfers, some closed by zero-length packets.
  void send_read_chunk(std::span<const std::uint8_t> chunk) {
    const auto& pieces = ctx_.config.faults.d6_pieces;
    if (!pieces) return io_.send(chunk, "D6 data");
    std::mt19937_64 rng(ctx_.faults.d6_chunks);
    std::uniform_int_distribution<std::size_t> random_length(1, 70'000);
    for (std::size_t at = 0; at < chunk.size();) {
      const std::size_t n = std::min<std::size_t>(chunk.size() - at, *pieces ? *pieces : random_length(rng));
      io_.send(chunk.subspan(at, n), "D6 piece");
      at += n;
      const bool ends_on_packet = n % wire::kUsbMaxPacketHighSpeed == 0;
      if (ends_on_packet || (*pieces == 0 && rng() % 4 == 0)) io_.send_zero_length_packet("D6 piece");
    }
  }

  // docs/protocol/legacy-da.md §9.2: NACK, swallow what the host still sends (mtkclient's packet size),
  // and answer its trailing A5 with the little-endian error code.
  void read_nack() {
    nack("D6 NACK");
    const auto last = io_.discard_for(kNackDiscardWindow, "D6 after NACK (discarded)");
    if (last == da::kNack) io_.send(kInvalidRangeLe, "D6 error code");
  }

  void write() {
    std::uint8_t h[da::kWriteHeaderSize - 1];
    io_.read_fields(h, {1, 1, 8, 8, 4}, "62 header");
    const std::uint8_t storage = h[0];
    const std::uint8_t id = h[1];
    const std::uint64_t address = be64(h + 2);
    const std::uint64_t length = be64(h + 10);
    const std::uint32_t packet = be32(h + 18);
    const bool valid = (storage == da::kStorageEmmc || storage == da::kStorageEmmcAlt) && selectable(id) &&
                       range_ok(static_cast<HwPartition>(id), address, length) && packet > 0 &&
                       packet <= kMaxPacketSize;
    if (fault_nack(da::kCmdWrite) || !valid) return nack("62 NACK");
    const HwPartition part = static_cast<HwPartition>(id);
    io_.send_u8(da::kAck, "62 ACK");

    std::uint8_t* data = buffer(std::min<std::uint64_t>(packet, length));
    for (std::uint64_t done = 0; done < length;) {
      const std::uint8_t go = io_.read_byte("62 chunk ACK");
      if (go == da::kNack) {
        spdlog::info("62: host NACKed; command aborted");
        return;
      }
      if (go != da::kAck) io_.unexpected(go, "62 chunk ACK");
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(packet, length - done));
      io_.read_exact(std::span(data, n), "62 data");
      const std::uint16_t sum = io_.read_u16("62 checksum");
      if (sum != byte_sum16(std::span(data, n))) {
        spdlog::warn("62: checksum mismatch in the chunk at 0x{:X}; nothing written", address + done);
        return nack("62 checksum NACK");
      }
      ctx_.regions.write(part, address + done, std::span(data, n));
      io_.send_u8(da::kCont, "62 CONT");
      done += n;
    }
  }

  void read_pmt() {
    if (fault_nack(da::kCmdReadPmt)) return nack("A5 NACK");
    io_.send_u8(da::kAck, "A5 ACK");
    const std::vector<std::uint8_t> records = read_pmt_records(ctx_.regions);
    io_.send_u32(static_cast<std::uint32_t>(records.size()), "A5 length");
    expect_ack("A5 ACK after length");
    if (!records.empty()) io_.send(records, "A5 data");
    expect_ack("A5 ACK after data");
  }

  void expect_ack(std::string_view state) {
    const std::uint8_t b = io_.read_byte(state);
    if (b != da::kAck) io_.unexpected(b, state);
  }

  void enable_watchdog() {
    const std::uint32_t timeout_ms = io_.read_u32("DB timeout");
    std::uint8_t flags[4];  // async, bootup, dl_bit, not_reset_rtc_time: the simulator always comes back
    io_.read_fields(flags, {1, 1, 1, 1}, "DB flags");
    if (fault_nack(da::kCmdEnableWatchdog)) return nack("DB NACK");
    io_.send_u8(da::kAck, "DB ACK");
    io_.note("watchdog reboot");
    io_.sleep_for(std::max(std::chrono::milliseconds(timeout_ms), kMinRebootDelay));
    io_.link().disconnect(false);
    throw DeviceDisconnected(false);
  }

  void finish() {
    if (fault_nack(da::kCmdFinish)) return nack("D9 NACK");
    io_.send_u8(da::kAck, "D9 ACK");
    const std::uint32_t mode = io_.read_u32("D9 mode");
    io_.send_u8(da::kAck, "D9 mode ACK");
    io_.note("finish: power off (mode " + std::to_string(mode) + ")");
    io_.flush();
    io_.link().disconnect(false);
    throw DeviceDisconnected(false);
  }

  DeviceContext& ctx_;
  DeviceIo& io_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace

void run_da2(DeviceContext& ctx) { DaCommands(ctx).loop(); }

}  // namespace mtkfs::sim
