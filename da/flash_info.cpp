#include "da/block_device.h"
#include "da/flash_info.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "da/bytes.h"
#include "da/da_commands.h"

namespace mtkfs::da {
namespace {

std::string plain_hex(std::span<const std::uint8_t> data) {
  std::string out;
  char buf[3];
  for (std::uint8_t b : data) {
    std::snprintf(buf, sizeof buf, "%02X", b);
    out += buf;
  }
  return out;
}

std::string size_line(std::uint64_t bytes) {
  return bytes::hex_number(bytes, 1) + " (" + human_size(bytes) + ")";
}

std::string speed_name(std::uint8_t speed) {
  switch (speed) {
    case 0: return "full speed";
    case 1: return "high speed";
    case 2: return "ultra high speed";
    default: return "unknown (" + std::to_string(speed) + ")";
  }
}

// The trailer's bytes were never captured from a real device; show what this one sent.
std::string trailer_text(const ReportTrailer& t) {
  const std::string fields = " trailer, download status " +
                             bytes::hex_number(t.download_status, 8) + ", boot style " +
                             bytes::hex_number(t.boot_style, 8);
  const std::span<const std::uint8_t> raw(t.raw);
  switch (t.variant) {
    case TrailerVariant::plain: return "plain" + fields;
    case TrailerVariant::prefixed:
      return "prefixed" + fields + " (prefix " +
             bytes::hex(raw.first(std::min(raw.size(), wire::da::kTrailerPrefixSize))) + ")";
    case TrailerVariant::unknown:
      return "unrecognised trailer " + bytes::hex(raw) + " (resynchronised)";
  }
  return "?";
}

void line(std::string& out, const std::string& name, const std::string& value) {
  out += name;
  out.append(name.size() < 16 ? 16 - name.size() : 1, ' ');
  out += value + "\n";
}

}  // namespace

std::uint64_t FlashInfo::partition_size(wire::HwPartition part) const {
  switch (part) {
    case wire::HwPartition::boot1: return report.emmc_boot1_size;
    case wire::HwPartition::boot2: return report.emmc_boot2_size;
    case wire::HwPartition::rpmb: return report.emmc_rpmb_size;
    case wire::HwPartition::gp1: return report.emmc_gp_size[0];
    case wire::HwPartition::gp2: return report.emmc_gp_size[1];
    case wire::HwPartition::gp3: return report.emmc_gp_size[2];
    case wire::HwPartition::gp4: return report.emmc_gp_size[3];
    case wire::HwPartition::user: return report.emmc_user_size;
  }
  return 0;
}

std::string chip_name(std::uint16_t hw_code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "MT%04X", hw_code);
  return buf;
}

std::string describe_target_config(std::uint32_t config) {
  static const char* const kBits[] = {
      "SBC", "SLA", "DAA", "EPP", "root cert", "mem-read auth", "mem-write auth", "cmd C8 blocked"};
  std::string flags;
  for (int bit = 0; bit < 3; ++bit)
    bytes::append_item(flags, std::string(kBits[bit]) + ((config >> bit) & 1 ? " on" : " off"));
  for (int bit = 3; bit < 8; ++bit)
    if ((config >> bit) & 1) bytes::append_item(flags, std::string(kBits[bit]) + " on");
  if (config >> 8)
    bytes::append_item(flags, "unknown bits " + bytes::hex_number(config & ~0xFFu, 8));
  return bytes::hex_number(config, 8) + " (" + flags + ")";
}

std::string human_size(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  std::uint64_t whole = bytes;
  while (unit < 4 && whole >= 1024) {
    whole /= 1024;
    ++unit;
  }
  const std::uint64_t scale = std::uint64_t{1} << (10 * unit);
  if (bytes % scale == 0) return std::to_string(bytes / scale) + " " + kUnits[unit];
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", static_cast<double>(bytes) / static_cast<double>(scale),
                kUnits[unit]);
  return buf;
}

std::string format_flash_info(const FlashInfo& info) {
  const PreloaderInfo& pl = info.preloader;
  const FlashReport& r = info.report;
  std::string out;
  line(out, "Connection:", info.connection);
  line(out, "Mode:", "Preloader (bootloader version " + bytes::hex_number(pl.bl_ver, 2) + ")");
  line(out, "CPU:", chip_name(pl.hw_code) + " (hw code " + bytes::hex_number(pl.hw_code, 4) + ")");
  line(out, "HW subcode:", bytes::hex_number(pl.hw_subcode, 4));
  line(out, "HW version:", bytes::hex_number(pl.hw_ver, 4));
  line(out, "SW version:", bytes::hex_number(pl.sw_ver, 4));
  line(out, "Target config:", describe_target_config(pl.target_config));
  line(out, "DA file:",
       info.da_file.path + " (\"" + info.da_file.description + "\", entry " +
           std::to_string(info.da_file.entry_index) + ")");
  line(out, "DA stages:",
       "1: " + bytes::hex_number(info.da_file.stage1_length, 1) + " bytes at " +
           bytes::hex_number(info.da_file.stage1_address, 8) +
           ", 2: " + bytes::hex_number(info.da_file.stage2_length, 1) + " bytes at " +
           bytes::hex_number(info.da_file.stage2_address, 8));
  line(out, "DA version:",
       std::to_string(info.da1.version_major) + "." + std::to_string(info.da1.version_minor) +
           " (chip id " + bytes::hex_number(info.da1.chip_id, 2) + ")");
  line(out, "USB speed:", speed_name(info.usb_speed));
  line(out, "Int SRAM:", size_line(r.int_sram_size));
  line(out, "Ext RAM:",
       std::string(r.ext_ram_type == 0x02 ? "DRAM" : "type") + " (" +
           bytes::hex_number(r.ext_ram_type, 2) + "), " + size_line(r.ext_ram_size));
  for (auto part : {wire::HwPartition::boot1, wire::HwPartition::boot2, wire::HwPartition::rpmb,
                    wire::HwPartition::gp1, wire::HwPartition::gp2, wire::HwPartition::gp3,
                    wire::HwPartition::gp4, wire::HwPartition::user})
    line(out, "eMMC " + partition_name(part) + ":", size_line(info.partition_size(part)));
  line(out, "eMMC CID:", plain_hex(r.emmc_cid));
  if (info.da1.emmc_id != r.emmc_cid) line(out, "DA1 eMMC id:", plain_hex(info.da1.emmc_id));
  line(out, "eMMC FW ver:", plain_hex(r.emmc_fw_ver));
  line(out, "Random id:", plain_hex(r.random_id));
  line(out, "Report end:", trailer_text(info.trailer));
  return out;
}

}  // namespace mtkfs::da
