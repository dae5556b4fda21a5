#include "da/flash_report.h"

#include <algorithm>

#include "da/bytes.h"
#include "da/errors.h"
#include "da/wire.h"

namespace mtkfs::da {
namespace {

using bytes::be16;
using bytes::be32;
using bytes::be64;

struct NandLayout {
  bool size_is_u32;
  std::size_t count;
  std::size_t ids_at;  // offset of the first NAND id in the report
};

constexpr std::size_t kNandAt = wire::da::kReportNorSize;  // 0x1C
// Geometry (9) + eMMC (0x5C) + SD (0x1C) + RAM (0x26): everything after the id list.
constexpr std::size_t kTailSize = wire::da::kReportNandGeometrySize + wire::da::kReportEmmcSize +
                                  wire::da::kReportSdmmcSize + wire::da::kReportConfigSize;

// docs/protocol/legacy-da.md §5.1 host rule: count at 0x2B non-zero -> u64 size; else the u32
// layout's count at 0x27; if that is 0 as well, the u64 layout without ids.
NandLayout nand_layout(std::span<const std::uint8_t> head) {
  const std::size_t count64 = be16(head, kNandAt + 0x0F);
  if (count64 != 0) return {false, count64, kNandAt + 0x11};
  const std::size_t count32 = be16(head, kNandAt + 0x0B);
  if (count32 != 0) return {true, count32, kNandAt + 0x0D};
  return {false, 0, kNandAt + 0x11};
}

template <std::size_t N>
std::array<std::uint8_t, N> raw(std::span<const std::uint8_t> b, std::size_t at) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), N, out.begin());
  return out;
}

}  // namespace

std::size_t flash_report_length(std::span<const std::uint8_t> head) {
  if (head.size() < kReportHeadSize)
    throw ProtocolError("flash report head too short: " + std::to_string(head.size()) + " bytes");
  const NandLayout nand = nand_layout(head);
  return nand.ids_at + nand.count * 2 + kTailSize;
}

FlashReport parse_flash_report(std::span<const std::uint8_t> b) {
  if (b.size() < kReportHeadSize || b.size() != flash_report_length(b))
    throw ProtocolError("flash report has " + std::to_string(b.size()) +
                        " bytes, which does not match its NAND id count");
  FlashReport r;
  r.nor_ret = be32(b, 0x00);
  r.nor_chip_select = raw<2>(b, 0x04);
  r.nor_flash_id = be16(b, 0x06);
  r.nor_flash_size = be32(b, 0x08);
  for (std::size_t i = 0; i < 4; ++i) r.nor_dev_code[i] = be16(b, 0x0C + 2 * i);
  r.nor_otp_status = be32(b, 0x14);
  r.nor_otp_size = be32(b, 0x18);

  const NandLayout nand = nand_layout(b);
  r.nand_ret = be32(b, kNandAt);
  r.nand_chip_select = b[kNandAt + 4];
  r.nand_flash_id = be16(b, kNandAt + 5);
  r.nand_size_is_u32 = nand.size_is_u32;
  r.nand_flash_size = nand.size_is_u32 ? be32(b, kNandAt + 7) : be64(b, kNandAt + 7);
  for (std::size_t i = 0; i < nand.count; ++i) r.nand_ids.push_back(be16(b, nand.ids_at + 2 * i));

  const std::size_t geo = nand.ids_at + nand.count * 2;
  r.nand_page_size = be16(b, geo);
  r.nand_spare_size = be16(b, geo + 2);
  r.nand_pages_per_block = be16(b, geo + 4);
  r.nand_io_interface = b[geo + 6];
  r.nand_addr_cycle = b[geo + 7];
  r.nand_bmt_exist = b[geo + 8];

  const std::size_t emmc = geo + wire::da::kReportNandGeometrySize;
  r.emmc_ret = be32(b, emmc);
  r.emmc_boot1_size = be64(b, emmc + 0x04);
  r.emmc_boot2_size = be64(b, emmc + 0x0C);
  r.emmc_rpmb_size = be64(b, emmc + 0x14);
  for (std::size_t i = 0; i < 4; ++i) r.emmc_gp_size[i] = be64(b, emmc + 0x1C + 8 * i);
  r.emmc_user_size = be64(b, emmc + 0x3C);
  r.emmc_cid = raw<16>(b, emmc + 0x44);
  r.emmc_fw_ver = raw<8>(b, emmc + 0x54);

  const std::size_t sd = emmc + wire::da::kReportEmmcSize;
  r.sdmmc_ret = be32(b, sd);
  r.sdmmc_user_size = be64(b, sd + 4);
  r.sdmmc_cid = raw<16>(b, sd + 0x0C);

  const std::size_t ram = sd + wire::da::kReportSdmmcSize;
  r.int_sram_ret = be32(b, ram);
  r.int_sram_size = be32(b, ram + 4);
  r.ext_ram_ret = be32(b, ram + 8);
  r.ext_ram_type = b[ram + 0x0C];
  r.ext_ram_chip_select = b[ram + 0x0D];
  r.ext_ram_size = be64(b, ram + 0x0E);
  r.random_id = raw<16>(b, ram + 0x16);
  return r;
}

// docs/protocol/legacy-da.md §5.3 host rule, widened: byte 0 == 5A is the plain trailer (as both
// tools read it); otherwise 5A at byte 4 may start a plain trailer behind a 4-byte prefix. The prefix's
// value is only inferred (docs/protocol/usb.md §8), so the markers around it decide, not the prefix
// itself.
std::size_t trailer_extra_length(std::span<const std::uint8_t> first10) {
  if (first10.size() != wire::da::kTrailerSize)
    throw ProtocolError("report trailer: need 10 bytes, have " + std::to_string(first10.size()));
  if (first10[0] == wire::da::kAck) return 0;
  if (first10[wire::da::kTrailerPrefixSize] == wire::da::kAck) return wire::da::kTrailerPrefixSize;
  return 0;
}

ReportTrailer parse_report_trailer(std::span<const std::uint8_t> t) {
  ReportTrailer out;
  out.raw.assign(t.begin(), t.end());
  out.variant = TrailerVariant::unknown;
  if (t.size() < wire::da::kTrailerSize) return out;
  const std::size_t extra = trailer_extra_length(t.first(wire::da::kTrailerSize));
  if (t.size() != wire::da::kTrailerSize + extra) return out;
  const std::size_t at = extra;  // the plain trailer starts after the 4-byte prefix
  if (t[at] != wire::da::kAck) return out;
  // Without a C1 after it, a 5A at byte 4 is as likely a coincidence as a prefix.
  if (extra && t[at + 9] != wire::da::kSocOk) return out;
  out.variant = extra ? TrailerVariant::prefixed : TrailerVariant::plain;
  out.download_status = be32(t, at + 1);
  out.boot_style = be32(t, at + 5);
  out.soc_ok = t[at + 9];
  return out;
}

}  // namespace mtkfs::da
