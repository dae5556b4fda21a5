#include "da/da_boot.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "da/bytes.h"
#include "da/errors.h"
#include "da/wire.h"

namespace mtkfs::da {
namespace {

using Clock = std::chrono::steady_clock;

Millis until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
  return std::max(left, Millis{1});
}

}  // namespace

Da1Info DaBoot::sync() {
  Da1Info info;
  const std::uint8_t sync = ch_.receive_u8("DA1 sync byte C0 after JUMP_DA", timing_.da_sync);
  if (sync != wire::da::kSync)
    throw ProtocolError("DA1 did not start: expected sync byte C0 after JUMP_DA, got " +
                        bytes::hex({&sync, 1}));
  info.nand_ret = ch_.receive_u32("DA1 info nand_ret", timing_.reply);
  const std::uint16_t count = ch_.receive_u16("DA1 info NAND id count", timing_.reply);
  // Real devices send at least one id, the reference simulator none: skip exactly `count`.
  auto ids = ch_.receive(std::size_t{count} * 2, "DA1 info NAND ids", timing_.reply);
  for (std::size_t i = 0; i < count; ++i) info.nand_ids.push_back(bytes::be16(ids, 2 * i));
  info.emmc_ret = ch_.receive_u32("DA1 info emmc_ret", timing_.reply);
  ch_.receive(info.emmc_id, "DA1 info eMMC id", timing_.reply);

  ch_.send_byte(wire::da::kAck, "DA1 version request (5A)", timing_.reply);
  info.version_major = ch_.receive_u8("DA major version", timing_.reply);
  info.version_minor = ch_.receive_u8("DA minor version", timing_.reply);
  info.chip_id = ch_.receive_u8("DA baseband chip id", timing_.reply);
  return info;
}

void DaBoot::send_stage2_config(std::uint8_t brom_ver, std::uint8_t bl_ver) {
  constexpr std::uint8_t kForceChargeAuto = 0x02;  // the C tool's value, proven on the NW-A50
  bytes::MessageBuilder config;
  config.u8(brom_ver)
      .u8(bl_ver)
      .u16(0x0008)
      .u8(0x00)
      .u32(0x7007FFFF)
      .u8(0x01)
      .u32(0)
      .u8(kForceChargeAuto)
      .u8(0x01)
      .u8(0x02)
      .u8(0x00);
  ch_.send_fields(config, "DA stage-2 configuration", timing_.reply);
  std::this_thread::sleep_for(timing_.stage2_config_delay);
  const std::uint32_t status = ch_.receive_u32("DA stage-2 configuration status", timing_.reply);
  if (status == wire::da::kStatusRamError)
    throw DeviceError(
        "the DA reports DRAM not initialised (status 0xBC3): the device is not in "
        "Preloader mode (BROM mode needs EMI settings, not supported)");
  if (status != wire::da::kStatusDone)
    throw ProtocolError("the DA rejected the stage-2 configuration: status " +
                        bytes::hex_number(status, 8));
}

void DaBoot::upload_stage2(std::uint32_t load_address, std::span<const std::uint8_t> image,
                           const UploadProgressFn& progress) {
  bytes::MessageBuilder header;
  header.u32(load_address)
      .u32(static_cast<std::uint32_t>(image.size()))
      .u32(wire::da::kStage2PacketSize);
  ch_.send_fields(header, "DA stage-2 upload header", timing_.reply);
  ch_.expect_ack("the DA stage-2 upload header", timing_.reply);
  if (progress) progress({2, 0, image.size()});
  for (std::size_t at = 0; at < image.size(); at += wire::da::kStage2PacketSize) {
    auto chunk =
        image.subspan(at, std::min<std::size_t>(wire::da::kStage2PacketSize, image.size() - at));
    ch_.send(chunk, "DA stage-2 data", timing_.reply);
    ch_.expect_ack("DA stage-2 chunk at offset " + bytes::hex_number(at, 1), timing_.reply);
    if (progress) progress({2, at + chunk.size(), image.size()});
  }
  std::this_thread::sleep_for(timing_.stage2_final_ack_delay);
  ch_.send_byte(wire::da::kAck, "DA stage-2 final 5A", timing_.reply);
  try {
    ch_.expect_ack("the uploaded DA stage 2", timing_.stage2_verdict);
  } catch (const ProtocolError& e) {
    throw ProtocolError(std::string(e.what()) +
                        " — DA1 did not accept stage 2 (the DA file's two stages do not belong "
                        "together, or the upload was damaged)");
  }
}

FlashReport DaBoot::read_report(ReportTrailer& trailer) {
  const auto deadline = Clock::now() + timing_.report;
  std::vector<std::uint8_t> report(kReportHeadSize);
  ch_.receive(report, "DA2 flash report", until(deadline));
  const std::size_t length = flash_report_length(report);
  report.resize(length);
  ch_.receive(std::span<std::uint8_t>(report).subspan(kReportHeadSize), "DA2 flash report",
              until(deadline));
  std::vector<std::uint8_t> tail(wire::da::kTrailerSize);
  ch_.receive(tail, "DA2 flash report trailer", until(deadline));
  // The 4 more bytes of a prefixed trailer are only a guess from 5A at byte 4: if they never
  // come, the trailer is unknown and the caller resynchronises, instead of failing the connect.
  const std::size_t extra = trailer_extra_length(tail);
  for (std::size_t i = 0; i < extra; ++i) {
    const auto byte = ch_.try_receive_u8(until(deadline));
    if (!byte) break;
    tail.push_back(*byte);
  }
  trailer = parse_report_trailer(tail);
  return parse_flash_report(report);
}

}  // namespace mtkfs::da
