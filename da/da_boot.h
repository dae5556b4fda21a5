// From DA1's first byte to the running DA2 (docs/protocol/legacy-da.md §2-§5): sync and stage-1
// info, the stage-2 configuration, the stage-2 upload, and the flash report.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "da/channel.h"
#include "da/flash_report.h"
#include "da/progress.h"
#include "da/timing.h"

namespace mtkfs::da {

struct Da1Info {
  std::uint32_t nand_ret = 0;
  std::vector<std::uint16_t> nand_ids;
  std::uint32_t emmc_ret = 0;
  std::array<std::uint8_t, 16> emmc_id{};  // the CID as the four words arrived
  std::uint8_t version_major = 0;
  std::uint8_t version_minor = 0;
  std::uint8_t chip_id = 0;  // "baseband chip id", 0x91 on MT8590
};

class DaBoot {
 public:
  DaBoot(Channel& channel, const Timing& timing) : ch_(channel), timing_(timing) {}

  // C0, stage-1 info (any NAND id count, 0 included), then 5A -> three version bytes.
  Da1Info sync();

  // The 18 bytes for MT8590 with force_charge 02 (the C tool's value), then status 0.
  void send_stage2_config(std::uint8_t brom_ver, std::uint8_t bl_ver);

  // Header, 0x1000-byte chunks each ACKed, 500 ms pause, final 5A -> 5A.
  void upload_stage2(std::uint32_t load_address, std::span<const std::uint8_t> image,
                     const UploadProgressFn& progress = {});

  // Report + trailer, all within Timing::report. A trailer of neither known layout is returned as
  // TrailerVariant::unknown: the caller must resynchronise before sending a command.
  FlashReport read_report(ReportTrailer& trailer);

 private:
  Channel& ch_;
  Timing timing_;
};

}  // namespace mtkfs::da
