#include "da/block_device.h"
#include "da/da_commands.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "da/bytes.h"
#include "da/checksum.h"
#include "da/errors.h"

namespace mtkfs::da {
namespace {

// D6 data is received and summed in pieces of this size (see read_command).
constexpr std::size_t kSumPiece = 256 * 1024;

// What is left of a deadline as a transport timeout (at least 1 ms: 0 would not wait at all).
Millis time_left(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
  return std::max(left, Millis{1});
}

std::string range_text(wire::HwPartition part, std::uint64_t offset, std::uint64_t length) {
  return partition_name(part) + " at " + bytes::hex_number(offset, 1) + " length " +
         bytes::hex_number(length, 1);
}

}  // namespace

std::uint8_t DaCommands::usb_check_status() {
  ch_.send_byte(wire::da::kCmdUsbCheckStatus, "USB_CHECK_STATUS (72)", timing_.reply);
  ch_.expect_ack("USB_CHECK_STATUS (72)", timing_.reply);
  return ch_.receive_u8("USB_CHECK_STATUS (72) speed", timing_.reply);
}

std::uint8_t DaCommands::ensure_high_speed(const std::function<void()>& reconnect) {
  std::uint8_t speed = usb_check_status();
  if (speed != wire::da::kSpeedFull) return speed;
  bytes::MessageBuilder switch_cmd;
  switch_cmd.u8(wire::da::kCmdUsbSetupPort).u8(0x01);
  ch_.send_fields(switch_cmd, "USB_SETUP_PORT (70 01)", timing_.reply);
  try {
    ch_.expect_ack("USB_SETUP_PORT (70 01)", timing_.reply);
  } catch (const LinkLostError&) {
    // The DA leaves the bus right after its ACK; on a tty the ACK can vanish with the node.
    // The 72 after reconnecting tells whether the switch happened.
  }
  reconnect();
  speed = usb_check_status();
  // Behind a USB 1.1 hub or a virtual machine's OHCI controller the switch cannot succeed; like
  // mtkclient, carry on: everything works at full speed (the transport takes the packet size
  // from the descriptors), only slowly.
  if (speed == wire::da::kSpeedFull)
    spdlog::warn(
        "the DA still reports full-speed USB after the speed switch (70 01), e.g. behind a USB "
        "1.1 hub or in a virtual machine; continuing at full speed: reads will be slow (about "
        "1 MB/s)");
  return speed;
}

void DaCommands::switch_partition(wire::HwPartition part) {
  const std::string name = "SDMMC_SWITCH_PART (60) to " + partition_name(part);
  ch_.send_byte(wire::da::kCmdSwitchPart, name, timing_.reply);
  ch_.expect_ack(name, timing_.reply);
  ch_.send_byte(static_cast<std::uint8_t>(part), name + " id", timing_.reply);
  ch_.expect_ack(name + " (partition id " + std::to_string(static_cast<int>(part)) + ")",
                 timing_.reply);
}

std::size_t DaCommands::read_command(wire::HwPartition part, std::uint64_t offset,
                                     std::span<std::uint8_t> out, std::string& bad_chunk) {
  const std::string name = "READ (D6) of " + range_text(part, offset, out.size());
  switch_partition(part);
  bytes::MessageBuilder header;
  header.u8(wire::da::kCmdRead)
      .u8(wire::da::kHostOsLinux)
      .u8(wire::da::kStorageEmmc)
      .u64(offset)
      .u64(out.size());
  ch_.send_fields(header, name, timing_.reply);
  // The C tool's order: the packet size only after the ACK, so a NACK is never followed by
  // stray bytes the DA would take for a command (docs/protocol/legacy-da.md §9).
  ch_.expect_ack(name, timing_.reply);
  ch_.send(bytes::to_be32(wire::da::kDataPacketSize), name + " packet size", timing_.reply);

  std::size_t good = 0;
  bool failed = false;
  for (std::size_t at = 0; at < out.size(); at += wire::da::kDataPacketSize) {
    const std::size_t len = std::min<std::size_t>(wire::da::kDataPacketSize, out.size() - at);
    const auto data = out.subspan(at, len);
    // Straight into the caller's buffer (no staging copy): only the first `good` bytes count, and
    // whatever follows a bad chunk is read again by the caller. The transport keeps a checksum that
    // shares the data's last USB packet for the next read. Each piece is summed as soon as it is
    // there, while it is still in the CPU cache (summing the whole chunk afterwards read 1 MiB back
    // from memory; docs/performance.md).
    const std::string step = name + " data chunk at +" + bytes::hex_number(at, 1);
    const auto chunk_deadline = std::chrono::steady_clock::now() + timing_.chunk;
    std::uint64_t data_sum = 0;
    for (std::size_t piece = 0; piece < len; piece += kSumPiece) {
      const auto bytes_here = data.subspan(piece, std::min(kSumPiece, len - piece));
      ch_.receive(bytes_here, step, time_left(chunk_deadline));
      if (!failed) data_sum += chunk_checksum(bytes_here);
    }
    std::uint8_t sum[2];
    ch_.receive(sum, step + " checksum", std::max(time_left(chunk_deadline), timing_.reply));
    // The ACK goes out whatever the checksum says (after a bad chunk too: the DA's reaction to
    // anything else is unknown, docs/protocol/legacy-da.md §9.2).
    ch_.send_byte(wire::da::kAck, name + " chunk ACK", timing_.reply);
    if (failed) continue;
    const std::uint16_t theirs = bytes::be16(sum);
    const auto ours = static_cast<std::uint16_t>(data_sum);
    if (theirs == ours) {
      good += len;
    } else {
      failed = true;
      bad_chunk = "chunk at " + bytes::hex_number(offset + at, 1) + " of " + partition_name(part) +
                  ": device checksum " + bytes::hex_number(theirs, 4) + ", data sums to " +
                  bytes::hex_number(ours, 4);
    }
  }
  return good;
}

void DaCommands::read(wire::HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  int retries_here = 0;
  std::string bad_chunk;
  while (done < out.size()) {
    std::size_t good = 0;
    try {
      good = read_command(part, offset + done, out.subspan(done), bad_chunk);
    } catch (const LinkLostError&) {
      throw;
    } catch (const DeviceError& e) {
      resynchronise(e.what());
      throw DeviceError(e.what());
    }
    done += good;
    if (done == out.size()) break;
    retries_here = good > 0 ? 1 : retries_here + 1;
    if (retries_here > read_retries_)
      throw DeviceError("READ (D6) of " + range_text(part, offset, out.size()) +
                        ": checksum mismatch persisted after " + std::to_string(read_retries_) +
                        " retries (" + bad_chunk + ")");
    // A retry that then succeeds is invisible to the reader; the log is the only trace of a flaky link.
    spdlog::warn("READ (D6): checksum mismatch ({}); reading again from there (retry {} of {})", bad_chunk,
                 retries_here, read_retries_);
  }
}

void DaCommands::write_command(wire::HwPartition part, std::uint64_t offset,
                               std::span<const std::uint8_t> data) {
  const std::string name = "SDMMC_WRITE_DATA (62) to " + range_text(part, offset, data.size());
  bytes::MessageBuilder header;
  header.u8(wire::da::kCmdWrite)
      .u8(wire::da::kStorageEmmc)
      .u8(static_cast<std::uint8_t>(part))
      .u64(offset)
      .u64(data.size())
      .u32(wire::da::kDataPacketSize);
  ch_.send_fields(header, name, timing_.reply);
  ch_.expect_ack(name, timing_.reply);
  for (std::size_t at = 0; at < data.size(); at += wire::da::kDataPacketSize) {
    const auto chunk =
        data.subspan(at, std::min<std::size_t>(wire::da::kDataPacketSize, data.size() - at));
    const std::string step = name + " chunk at +" + bytes::hex_number(at, 1);
    ch_.send_byte(wire::da::kAck, step, timing_.reply);
    ch_.send(chunk, step, timing_.chunk);
    ch_.send(bytes::to_be16(chunk_checksum(chunk)), step + " checksum", timing_.reply);
    const std::uint8_t answer = ch_.receive_u8(step + " confirmation", timing_.chunk);
    if (answer != wire::da::kCont)
      throw ProtocolError(step + " was not written: expected CONT 69, got " +
                          bytes::hex({&answer, 1}));
  }
}

void DaCommands::write(wire::HwPartition part, std::uint64_t offset,
                       std::span<const std::uint8_t> data) {
  try {
    write_command(part, offset, data);
  } catch (const LinkLostError&) {
    throw;
  } catch (const DeviceError& e) {
    resynchronise(e.what());
    throw DeviceError(e.what());
  }
}

void DaCommands::reboot() {
  // Exactly the C tool's -R bytes (docs/protocol/legacy-da.md §12): timeout 0, async 0, bootup 0,
  // dl_bit 0, not_reset_rtc_time 1.
  bytes::MessageBuilder cmd;
  cmd.u8(wire::da::kCmdEnableWatchdog).u32(0).u8(0).u8(0).u8(0).u8(1);
  ch_.send_fields(cmd, "ENABLE_WATCHDOG (DB) reboot", timing_.reply);
  ch_.expect_ack("ENABLE_WATCHDOG (DB) reboot", timing_.reply);
}

void DaCommands::power_off() {
  ch_.send_byte(wire::da::kCmdFinish, "FINISH (D9)", timing_.reply);
  ch_.expect_ack("FINISH (D9)", timing_.reply);
  ch_.send(bytes::to_be32(0), "FINISH (D9) mode 0", timing_.reply);
  ch_.expect_ack("FINISH (D9) mode 0", timing_.reply);
}

// Waits for Timing::drain_silence without input; false if the device never went quiet. A
// Preloader waiting for a handshake chatters READY forever: that is a lost session, said plainly.
bool DaCommands::drain() {
  const auto limit = std::chrono::steady_clock::now() + timing_.drain_limit;
  ch_.discard_input();
  std::string recent;
  std::size_t seen = 0;
  while (std::chrono::steady_clock::now() < limit) {
    auto byte = ch_.try_receive_u8(timing_.drain_silence);
    if (!byte) return true;
    recent.push_back(static_cast<char>(*byte));
    if (recent.size() > 5) recent.erase(0, 1);
    if (recent == "READY")
      throw LinkLostError(
          "the device restarted into the Preloader (it sends READY): the DA "
          "session is gone; connect again");
    if (++seen % 4096 == 0) ch_.discard_input();  // skip the bulk of a data chunk quickly
  }
  return false;
}

// A clean answer is exactly 5A + a speed byte followed by silence. The silence check keeps a
// DA that took our 72 as a chunk ACK (and carries on sending data) from passing as resynced.
bool DaCommands::probe(Millis answer_wait) {
  ch_.send_byte(wire::da::kCmdUsbCheckStatus, "resynchronisation probe (72)", timing_.reply);
  auto ack = ch_.try_receive_u8(answer_wait);
  if (!ack || *ack != wire::da::kAck) return false;
  auto speed = ch_.try_receive_u8(timing_.reply);
  if (!speed || *speed > 2) return false;
  return !ch_.try_receive_u8(timing_.drain_silence);
}

bool DaCommands::find_running_da() {
  try {
    if (!drain()) return false;
    // The NACK ends a read waiting for its chunk ACK or a write waiting for its go byte; a DA already in
    // its loop answers it BB. Either way the 72 that follows is then a command: 5A + speed. A DA answers
    // at once; a Preloader (this runs before its handshake) says nothing.
    ch_.send_byte(wire::da::kNack, "NACK (ends a command an earlier host left open)", timing_.reply);
    ch_.send_byte(wire::da::kCmdUsbCheckStatus, "running-DA probe (72)", timing_.reply);
    auto answer = ch_.try_receive_u8(timing_.drain_silence);
    if (answer && *answer == wire::da::kUnknownCmd) answer = ch_.try_receive_u8(timing_.drain_silence);
    if (!answer || *answer != wire::da::kAck) return false;
    const auto speed = ch_.try_receive_u8(timing_.drain_silence);
    return speed && *speed <= 2 && !ch_.try_receive_u8(timing_.drain_silence);
  } catch (const DeviceError&) {  // READY (a Preloader), a send timeout: no DA to continue
    return false;
  }
}

void DaCommands::resynchronise(const std::string& failure) {
  // Two rounds: a DA stalled mid-command may swallow the first 72 as the byte it was waiting for.
  for (int round = 0; round < 2; ++round) {
    try {
      if (drain() && probe(timing_.reply)) return;
    } catch (const LinkLostError& e) {
      throw LinkLostError(failure + "; " + e.what());
    } catch (const ProtocolError&) {
      // a timeout while sending the probe: try the next round
    }
  }
  throw LinkLostError(failure +
                      "; the DA then did not answer the resynchronisation probe (72): the "
                      "session is lost, reset the device (hold the power key about 10 s; "
                      "unplugging alone does not stop a battery-powered device's DA)");
}

}  // namespace mtkfs::da
