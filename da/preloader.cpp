// Preloader commands (docs/protocol/preloader.md §5). Every echo and status word is checked
// (GET_VERSION's answer aside, see there): a mismatch means the byte stream is out of step, and continuing would
// upload the DA into the void.
#include "da/preloader.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "da/bytes.h"
#include "da/checksum.h"
#include "da/errors.h"
#include "da/wire.h"

namespace mtkfs::da {
namespace {

// Large writes keep the upload fast; the timeout then covers one piece, not the whole image.
constexpr std::size_t kUploadPiece = 1 << 20;

std::string status_meaning(std::uint16_t status) {
  switch (status) {
    case 0x1D0C: return " (NO_AUTH_NEEDED)";
    case 0x1D0D: return " (SLA authentication required)";
    case 0x7017: return " (DAA security error)";
    case wire::pl::kStatusUnaligned: return " (unaligned address)";
    case wire::pl::kStatusCountZero: return " (count 0)";
    case wire::pl::kStatusOverflow: return " (overflow)";
    default: return "";
  }
}

}  // namespace

void PreloaderClient::command(std::uint8_t cmd, const std::string& name) {
  ch_.send_echoed(std::span<const std::uint8_t>(&cmd, 1), name, timing_.reply);
}

void PreloaderClient::echoed_u32(std::uint32_t value, const std::string& what) {
  ch_.send_echoed(bytes::to_be32(value), what, timing_.reply);
}

void PreloaderClient::expect_status(const std::string& what) {
  const std::uint16_t status = ch_.receive_u16(what + " status", timing_.reply);
  if (status != wire::pl::kStatusOk)
    throw ProtocolError(what + " failed: status " + bytes::hex_number(status, 4) +
                        status_meaning(status));
}

std::uint16_t PreloaderClient::get_hw_code() {
  command(wire::pl::kGetHwCode, "GET_HW_CODE (FD)");
  const std::uint16_t code = ch_.receive_u16("GET_HW_CODE (FD) hw code", timing_.reply);
  expect_status("GET_HW_CODE (FD)");
  return code;
}

void PreloaderClient::write32(std::uint32_t address, std::uint32_t value) {
  const std::string name = "WRITE32 (D4) " + bytes::hex_number(address, 8);
  command(wire::pl::kWrite32, "WRITE32 (D4)");
  echoed_u32(address, name + " address");
  echoed_u32(1, name + " count");
  expect_status(name);
  echoed_u32(value, name + " value");
  expect_status(name + " value");
}

std::uint32_t PreloaderClient::get_target_config() {
  command(wire::pl::kGetTargetConfig, "GET_TARGET_CONFIG (D8)");
  const std::uint32_t config = ch_.receive_u32("GET_TARGET_CONFIG (D8) config", timing_.reply);
  expect_status("GET_TARGET_CONFIG (D8)");
  return config;
}

// FE is the one command a Preloader answers without an echo; BROM echoes it
// (docs/protocol/preloader.md §2).
std::uint8_t PreloaderClient::get_bl_ver() {
  ch_.send_byte(wire::pl::kGetBlVer, "GET_BL_VER (FE)", timing_.reply);
  const std::uint8_t answer = ch_.receive_u8("GET_BL_VER (FE) answer", timing_.reply);
  if (answer == wire::pl::kGetBlVer)
    throw DeviceError(
        "device is in BROM mode (GET_BL_VER FE was echoed), not supported: mtkfs needs the "
        "Preloader download mode (USB id 0e8d:2000)");
  return answer;
}

// The answer is not checked: the echo FF comes from reading a Preloader's source, not from a
// capture, mtkclient accepts any byte and the C tool reads none. Whatever arrives is the device's
// word for its version and goes into the stage-2 config as bromver (docs/protocol/legacy-da.md §3).
std::uint8_t PreloaderClient::get_version() {
  ch_.send_byte(wire::pl::kGetVersion, "GET_VERSION (FF)", timing_.reply);
  const std::uint8_t answer = ch_.receive_u8("GET_VERSION (FF) answer", timing_.reply);
  if (answer == wire::pl::kGetVersion)
    spdlog::debug("GET_VERSION (FF) answered FF (the Preloader's echo)");
  else
    spdlog::info("GET_VERSION (FF) answered {} instead of the echo FF; sending it as bromver",
                 bytes::hex({&answer, 1}));
  return answer;
}

void PreloaderClient::get_hw_sw_ver(PreloaderInfo& info) {
  const std::string name = "GET_HW_SW_VER (FC)";
  ch_.send_byte(wire::pl::kGetHwSwVer, name, timing_.reply);
  // Both host tools pause before reading this answer (docs/protocol/preloader.md §5.2); keep their
  // timing.
  std::this_thread::sleep_for(timing_.hw_sw_ver_delay);
  const std::uint8_t cmd = wire::pl::kGetHwSwVer;
  ch_.expect(std::span<const std::uint8_t>(&cmd, 1), name + " echo", timing_.reply);
  info.hw_subcode = ch_.receive_u16(name + " hw subcode", timing_.reply);
  info.hw_ver = ch_.receive_u16(name + " hw version", timing_.reply);
  info.sw_ver = ch_.receive_u16(name + " sw version", timing_.reply);
  expect_status(name);
}

PreloaderInfo PreloaderClient::identify() {
  PreloaderInfo info;
  info.hw_code = get_hw_code();
  write32(wire::pl::kWatchdogAddr, wire::pl::kWatchdogDisable);
  info.target_config = get_target_config();
  info.bl_ver = get_bl_ver();
  info.brom_ver = get_version();
  get_hw_sw_ver(info);
  return info;
}

void PreloaderClient::send_da(std::uint32_t load_address, std::span<const std::uint8_t> image,
                              std::uint32_t signature_length, const UploadProgressFn& progress) {
  const std::string name = "SEND_DA (D7)";
  command(wire::pl::kSendDa, name);
  echoed_u32(load_address, name + " load address");
  // The length covers the signature as well (docs/protocol/preloader.md §5.7).
  echoed_u32(static_cast<std::uint32_t>(image.size()), name + " length");
  echoed_u32(signature_length, name + " signature length");
  expect_status(name);

  SendDaChecksum ours;
  if (progress) progress({1, 0, image.size()});
  for (std::size_t at = 0; at < image.size(); at += kUploadPiece) {
    auto piece = image.subspan(at, std::min(kUploadPiece, image.size() - at));
    ch_.send(piece, name + " image data", timing_.chunk);
    ours.update(piece);
    if (progress) progress({1, at + piece.size(), image.size()});
  }
  const std::uint16_t theirs = ch_.receive_u16(name + " checksum", timing_.send_da_result);
  const std::uint16_t status = ch_.receive_u16(name + " status", timing_.reply);
  if (theirs != ours.value())
    throw ProtocolError(name + ": the device computed checksum " + bytes::hex_number(theirs, 4) +
                        " over the " + std::to_string(image.size()) +
                        "-byte DA image, mtkfs computed " + bytes::hex_number(ours.value(), 4) +
                        " (data damaged in transit)");
  if (status != wire::pl::kStatusOk)
    throw ProtocolError(name + " rejected the DA image: status " + bytes::hex_number(status, 4) +
                        status_meaning(status));
}

void PreloaderClient::jump_da(std::uint32_t address) {
  const std::string name = "JUMP_DA (D5)";
  command(wire::pl::kJumpDa, name);
  echoed_u32(address, name + " address");
  expect_status(name);
}

}  // namespace mtkfs::da
