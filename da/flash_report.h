// The DA2 flash report (226 bytes with 7 NAND ids) and its trailer, docs/protocol/legacy-da.md §5.
// Pure parsing so that any split of the bytes on the wire is irrelevant and tests can feed it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mtkfs::da {

struct FlashReport {
  // NOR block
  std::uint32_t nor_ret = 0;
  std::array<std::uint8_t, 2> nor_chip_select{};
  std::uint16_t nor_flash_id = 0;
  std::uint32_t nor_flash_size = 0;
  std::array<std::uint16_t, 4> nor_dev_code{};
  std::uint32_t nor_otp_status = 0;
  std::uint32_t nor_otp_size = 0;
  // NAND block (the size is u64 unless the report uses the older u32 layout)
  std::uint32_t nand_ret = 0;
  std::uint8_t nand_chip_select = 0;
  std::uint16_t nand_flash_id = 0;
  std::uint64_t nand_flash_size = 0;
  bool nand_size_is_u32 = false;
  std::vector<std::uint16_t> nand_ids;
  std::uint16_t nand_page_size = 0;
  std::uint16_t nand_spare_size = 0;
  std::uint16_t nand_pages_per_block = 0;
  std::uint8_t nand_io_interface = 0;
  std::uint8_t nand_addr_cycle = 0;
  std::uint8_t nand_bmt_exist = 0;
  // eMMC block; sizes in bytes
  std::uint32_t emmc_ret = 0;
  std::uint64_t emmc_boot1_size = 0;
  std::uint64_t emmc_boot2_size = 0;
  std::uint64_t emmc_rpmb_size = 0;
  std::array<std::uint64_t, 4> emmc_gp_size{};
  std::uint64_t emmc_user_size = 0;
  std::array<std::uint8_t, 16> emmc_cid{};  // as on the wire; byte order not established
  std::array<std::uint8_t, 8> emmc_fw_ver{};
  // SD card block
  std::uint32_t sdmmc_ret = 0;
  std::uint64_t sdmmc_user_size = 0;
  std::array<std::uint8_t, 16> sdmmc_cid{};
  // RAM / config block
  std::uint32_t int_sram_ret = 0;
  std::uint32_t int_sram_size = 0;
  std::uint32_t ext_ram_ret = 0;
  std::uint8_t ext_ram_type = 0;
  std::uint8_t ext_ram_chip_select = 0;
  std::uint64_t ext_ram_size = 0;
  std::array<std::uint8_t, 16> random_id{};
};

// The real trailer was never captured (docs/protocol/legacy-da.md §5.3, docs/protocol/usb.md §8),
// hence the tolerance.
enum class TrailerVariant {
  plain,     // 5A <download status u32> <boot style u32> C1
  prefixed,  // 4 bytes (00 00 00 00 inferred, any accepted) + the plain trailer ending in C1
  unknown,   // neither: the stream position is uncertain and the session must be resynchronised
};

struct ReportTrailer {
  TrailerVariant variant = TrailerVariant::plain;
  std::uint32_t download_status = 0;  // these three are 0 for an unknown trailer
  std::uint32_t boot_style = 0;
  std::uint8_t soc_ok = 0;  // C1 expected; a plain trailer is accepted without it (warned)
  std::vector<std::uint8_t> raw;  // the bytes read as the trailer, for the log and `info`
};

// The report's length follows from its NAND id count, known after the first 0x2D bytes.
inline constexpr std::size_t kReportHeadSize = 0x2D;
std::size_t flash_report_length(std::span<const std::uint8_t> head);

// `report` must be exactly flash_report_length() bytes; throws ProtocolError otherwise.
FlashReport parse_flash_report(std::span<const std::uint8_t> report);

// Given the first 10 trailer bytes: how many more belong to the trailer, 4 when only the prefixed
// layout can fit (5A at byte 4, not at byte 0), else 0. Throws ProtocolError unless given 10.
std::size_t trailer_extra_length(std::span<const std::uint8_t> first10);

// `trailer` is 10 or 14 bytes as decided by trailer_extra_length() (fewer if the rest never came).
// Never throws: bytes that fit neither layout make TrailerVariant::unknown.
ReportTrailer parse_report_trailer(std::span<const std::uint8_t> trailer);

}  // namespace mtkfs::da
