// Everything learned about the device while connecting, and the `mtkfs --info` printout.
#pragma once

#include <cstdint>
#include <string>

#include "da/da_boot.h"
#include "da/flash_report.h"
#include "da/preloader.h"
#include "da/wire.h"

namespace mtkfs::da {

struct DaFileSummary {
  std::string path;
  std::string description;
  std::size_t entry_index = 0;
  std::uint32_t stage1_address = 0, stage1_length = 0;
  std::uint32_t stage2_address = 0, stage2_length = 0;
};

struct FlashInfo {
  std::string connection;  // Transport::describe()
  PreloaderInfo preloader;
  DaFileSummary da_file;
  Da1Info da1;
  FlashReport report;
  ReportTrailer trailer;
  std::uint8_t usb_speed = 0;

  // Reported size in bytes; 0 for a partition the device does not have.
  std::uint64_t partition_size(wire::HwPartition part) const;
};

// "MT8590" for hw code 0x8590 (MediaTek's numbering for the chips of this protocol family).
std::string chip_name(std::uint16_t hw_code);

// "0x00000000 (SBC off, SLA off, DAA off)", naming further set bits
// (docs/protocol/preloader.md §5.4).
std::string describe_target_config(std::uint32_t config);

// "512 MiB", "14.68 GiB", "0 B".
std::string human_size(std::uint64_t bytes);

// Multi-line "Name: value" text with what mtkclient's log shows for the same device.
std::string format_flash_info(const FlashInfo& info);

}  // namespace mtkfs::da
