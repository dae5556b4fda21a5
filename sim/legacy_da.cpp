// DA1 (docs/protocol/legacy-da.md §2-§4) and DA2's stage-2 report (docs/protocol/legacy-da.md §5):
// from the sync byte to the command loop.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "sim/big_endian.h"
#include "sim/device.h"
#include "sim/profile.h"

namespace mtkfs::sim {
namespace {

namespace da = wire::da;
constexpr std::size_t kUploadPiece = 64 * 1024;

// The CID this device reports: --cid or the profile's; a device that returns "as another device" after a
// drop fault has its product serial number (bytes 10-13) raised by the number of drops so far.
std::array<std::uint8_t, 16> reported_cid(const DeviceContext& ctx) {
  std::array<std::uint8_t, 16> cid;
  if (ctx.config.cid) {
    cid = *ctx.config.cid;
  } else {
    std::copy(std::begin(profile::kCid), std::end(profile::kCid), cid.begin());
  }
  if (ctx.config.faults.return_as_other_device && ctx.faults.drops > 0) {
    store_be(&cid[10], static_cast<std::uint32_t>(load_be(&cid[10], 4) + ctx.faults.drops), 4);
  }
  return cid;
}

void send_sync(DeviceContext& ctx) {
  DeviceIo& io = ctx.io;
  io.send_u8(da::kSync, "DA1 sync");
  io.send_u32(da::kStatusDeviceNotFound, "DA1 nand_ret");
  io.send_u16(ctx.config.nand_id_count, "DA1 nand id count");
  for (std::uint16_t i = 0; i < ctx.config.nand_id_count; ++i) io.send_u16(0, "DA1 nand id");
  io.send_u32(da::kStatusDone, "DA1 emmc_ret");
  const std::array<std::uint8_t, 16> cid = reported_cid(ctx);
  for (int word = 0; word < 4; ++word) io.send(std::span(cid).subspan(4 * word, 4), "DA1 emmc id");
}

// docs/protocol/legacy-da.md §3: force_charge 01 (mtkclient) or 02 (C tool) always; the other 17 bytes
// only when strict.
void check_stage2_config(DeviceContext& ctx, const std::array<std::uint8_t, da::kStage2ConfigSize>& cfg) {
  static constexpr std::uint8_t kExpected[da::kStage2ConfigSize] = {
      0xFF, wire::pl::kBlVerPreloader, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF,
      0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00};
  constexpr std::size_t kForceCharge = 14;
  // The bytes arrived as one 18-byte read; an offending byte's stream offset is counted back from its end.
  const std::uint64_t end = ctx.io.rx_offset();
  auto reject = [&](std::size_t at, const char* field) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "unexpected byte 0x%02X at host stream offset %llu in state DA1 stage-2 config (%s)", cfg[at],
                  static_cast<unsigned long long>(end - da::kStage2ConfigSize + at), field);
    throw ProtocolViolation(text);
  };
  if (cfg[kForceCharge] != 0x01 && cfg[kForceCharge] != 0x02) reject(kForceCharge, "force_charge");
  if (!ctx.config.strict_config) return;
  static constexpr const char* kField[da::kStage2ConfigSize] = {
      "bromver", "blver", "nor_chip", "nor_chip", "nor_chip_select", "nand_acccon", "nand_acccon", "nand_acccon",
      "nand_acccon", "bmt_flag", "bmt_part_size", "bmt_part_size", "bmt_part_size", "bmt_part_size",
      "force_charge", "reset_keys", "ext_clock", "msdc_boot_ch"};
  for (std::size_t i = 0; i < cfg.size(); ++i) {
    if (i != kForceCharge && cfg[i] != kExpected[i]) reject(i, kField[i]);
  }
}

void receive_stage2(DeviceContext& ctx) {
  DeviceIo& io = ctx.io;
  std::uint8_t header[12];
  io.read_fields(header, {4, 4, 4}, "DA1 stage-2 header");
  const std::uint32_t length = be32(header + 4);
  const std::uint32_t packet = be32(header + 8);
  const ExpectedStage* expected = ctx.da ? &ctx.da->stage2 : nullptr;
  if (length == 0 || packet == 0 || (expected && length != expected->bytes.size())) {
    io.send_u8(da::kNack, "stage-2 header NACK");
    throw DeviceHalted("stage-2 header rejected (length " + std::to_string(length) + ", packet size " +
                       std::to_string(packet) + ")");
  }
  io.send_u8(da::kAck, "stage-2 header ACK");

  bool matches = true;
  std::vector<std::uint8_t> piece(std::min<std::size_t>({length, packet, kUploadPiece}));
  for (std::uint32_t done = 0; done < length;) {
    const std::uint32_t chunk_end = done + std::min(packet, length - done);
    while (done < chunk_end) {
      const std::size_t n = std::min<std::size_t>(chunk_end - done, piece.size());
      io.read_exact(std::span(piece.data(), n), "DA1 stage-2 data");
      if (expected && matches) matches = std::memcmp(piece.data(), expected->bytes.data() + done, n) == 0;
      done += static_cast<std::uint32_t>(n);
    }
    io.send_u8(da::kAck, "stage-2 chunk ACK");
  }
  const std::uint8_t final_ack = io.read_byte("DA1 stage-2 final ACK");
  if (final_ack != da::kAck) io.unexpected(final_ack, "DA1 stage-2 final ACK");
  if (!matches) {
    io.send_u8(da::kNack, "stage-2 NACK");
    throw DeviceHalted("received stage 2 differs from the DA file");
  }
  io.send_u8(da::kAck, "stage-2 ACK");
}

void send_report(DeviceContext& ctx) {
  std::array<std::uint8_t, da::kReportSize> r{};
  const Regions& regions = ctx.regions;
  using wire::HwPartition;
  store_be(&r[0x00], da::kStatusNorNotFound, 4);
  store_be(&r[0x1C], da::kStatusDeviceNotFound, 4);
  store_be(&r[0x2B], profile::kReportNandIdCount, 2);
  store_be(&r[0x48], regions.size(HwPartition::boot1), 8);
  store_be(&r[0x50], regions.size(HwPartition::boot2), 8);
  store_be(&r[0x58], regions.size(HwPartition::rpmb), 8);
  const HwPartition gp[4] = {HwPartition::gp1, HwPartition::gp2, HwPartition::gp3, HwPartition::gp4};
  for (int i = 0; i < 4; ++i) store_be(&r[0x60 + 8 * i], regions.size(gp[i]), 8);
  store_be(&r[0x80], regions.size(HwPartition::user), 8);
  const std::array<std::uint8_t, 16> cid = reported_cid(ctx);
  std::memcpy(&r[0x88], cid.data(), cid.size());
  std::memcpy(&r[0x98], profile::kEmmcFwVer, 8);
  store_be(&r[0xA0], da::kStatusDeviceNotFound, 4);
  store_be(&r[0xC0], profile::kIntSramSize, 4);
  r[0xC8] = profile::kExtRamTypeDram;
  store_be(&r[0xCA], profile::kExtRamSize, 8);
  std::memcpy(&r[0xD2], profile::kRandomId, 16);

  static constexpr std::size_t kUnitEnds[] = {0x1C, 0x2D, 0x3B, 0x44, 0xA0, 0xBC, 0xE2};
  std::size_t begin = 0;
  for (std::size_t end : kUnitEnds) {
    ctx.io.send(std::span(r).subspan(begin, end - begin), "DA2 report");
    begin = end;
  }

  std::uint8_t trailer[da::kTrailerPrefixSize + da::kTrailerSize] = {};
  std::uint8_t* pass_info = trailer + da::kTrailerPrefixSize;
  pass_info[0] = da::kAck;
  pass_info[9] = da::kSocOk;
  if (ctx.config.trailer == Trailer::prefixed) {
    ctx.io.send(trailer, "DA2 trailer (prefixed)");
  } else {
    ctx.io.send(std::span(pass_info, da::kTrailerSize), "DA2 trailer");
  }
}

}  // namespace

void run_da1(DeviceContext& ctx) {
  DeviceIo& io = ctx.io;
  io.enter_da();
  send_sync(ctx);
  const std::uint8_t ack = io.read_byte("DA1 sync ACK");
  if (ack != da::kAck) io.unexpected(ack, "DA1 sync ACK");
  for (std::uint8_t b : profile::kDaVersion) io.send_u8(b, "DA1 version");

  std::array<std::uint8_t, da::kStage2ConfigSize> cfg;
  io.read_fields(cfg, {1, 1, 2, 1, 4, 1, 4, 1, 1, 1, 1}, "DA1 stage-2 config");
  check_stage2_config(ctx, cfg);
  io.send_u32(da::kStatusDone, "stage-2 config status");

  receive_stage2(ctx);
  io.note("DA2 running");
  send_report(ctx);
}

}  // namespace mtkfs::sim
