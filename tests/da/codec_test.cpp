// Pure encodings: the two checksums, the flash report and its trailer, byte formatting.
#include <gtest/gtest.h>

#include "da/bytes.h"
#include "da/checksum.h"
#include "da/errors.h"
#include "da/flash_report.h"
#include "tests/da/device_script.h"

namespace mtkfs::da {
namespace {

using testing::Bytes;
using testing::operator+;

TEST(Checksum, SendDaExampleFromTheSpec) {
  const Bytes data = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};  // odd length
  EXPECT_EQ(send_da_checksum(data), 0x0700);
}

TEST(Checksum, SendDaStreamingMatchesOneShotForOddPieces) {
  Bytes data(1001);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  SendDaChecksum streamed;
  std::size_t at = 0;
  for (std::size_t piece : {1u, 3u, 500u, 7u, 490u}) {
    streamed.update(std::span<const std::uint8_t>(data).subspan(at, piece));
    at += piece;
  }
  ASSERT_EQ(at, data.size());
  EXPECT_EQ(streamed.value(), send_da_checksum(data));
  EXPECT_EQ(streamed.value(), testing::xor16(data));
}

TEST(Checksum, ChunkSumExampleFromTheSpec) {
  EXPECT_EQ(chunk_checksum(Bytes(512, 0xFF)), 0xFE00);
  EXPECT_EQ(chunk_checksum(Bytes(0x100000, 0xFF)), static_cast<std::uint16_t>(0xFF * 0x100000));
}

TEST(FlashReport, ParsesTheSpecExample) {
  const Bytes report = testing::nw_a50_report();
  ASSERT_EQ(report.size(), 226u);
  EXPECT_EQ(flash_report_length(report), 226u);
  const FlashReport r = parse_flash_report(report);
  EXPECT_EQ(r.nor_ret, 0xBC7u);
  EXPECT_EQ(r.nand_ret, 0xBC4u);
  EXPECT_FALSE(r.nand_size_is_u32);
  EXPECT_EQ(r.nand_ids.size(), 7u);
  EXPECT_EQ(r.emmc_ret, 0u);
  EXPECT_EQ(r.emmc_boot1_size, 0x400000u);
  EXPECT_EQ(r.emmc_boot2_size, 0x400000u);
  EXPECT_EQ(r.emmc_rpmb_size, 0x1000000u);
  EXPECT_EQ(r.emmc_gp_size, (std::array<std::uint64_t, 4>{}));
  EXPECT_EQ(r.emmc_user_size, 0x3AB400000u);
  EXPECT_EQ(r.emmc_cid[0], 0x15);
  EXPECT_EQ(r.emmc_cid[15], 0xE3);
  EXPECT_EQ(r.emmc_fw_ver[0], 0x01);
  EXPECT_EQ(r.sdmmc_ret, 0xBC4u);
  EXPECT_EQ(r.int_sram_size, 0x40000u);
  EXPECT_EQ(r.ext_ram_type, 0x02);
  EXPECT_EQ(r.ext_ram_size, 0x20000000u);
  EXPECT_EQ(r.random_id[0], 0xFA);
  EXPECT_EQ(r.random_id[15], 0x3B);
}

// The older report layout: u32 NAND size, count at 0x27 (docs/protocol/legacy-da.md §5.1 host
// rule). The rule reads the u64 layout's count at 0x2B first, which here is the second NAND id: it must be 0.
TEST(FlashReport, NandU32LayoutShiftsEverythingAfterIt) {
  Bytes head = testing::repeat(0, 0x1C) + testing::be32(0xBC4) + Bytes{0} + testing::be16(0) +
               testing::be32(0x12345678) + testing::be16(3);  // 13-byte NAND block
  Bytes ids = testing::be16(0xAAAA) + testing::be16(0x0000) + testing::be16(0xCCCC);
  Bytes geometry = testing::repeat(0, 9);
  Bytes emmc = testing::be32(0) + testing::be64(0x400000) + testing::be64(0x200000) +
               testing::be64(0) + testing::repeat(0, 32) + testing::be64(0x1000000) +
               testing::repeat(0x11, 16) + testing::repeat(0x22, 8);
  Bytes rest = testing::repeat(0, 0x1C + 0x26);
  Bytes report = head + ids + geometry + emmc + rest;
  ASSERT_EQ(flash_report_length(report), report.size());
  const FlashReport r = parse_flash_report(report);
  EXPECT_TRUE(r.nand_size_is_u32);
  EXPECT_EQ(r.nand_flash_size, 0x12345678u);
  EXPECT_EQ(r.nand_ids, (std::vector<std::uint16_t>{0xAAAA, 0x0000, 0xCCCC}));
  EXPECT_EQ(r.emmc_boot1_size, 0x400000u);
  EXPECT_EQ(r.emmc_boot2_size, 0x200000u);
  EXPECT_EQ(r.emmc_user_size, 0x1000000u);
  EXPECT_EQ(r.emmc_cid[0], 0x11);
  EXPECT_EQ(r.emmc_fw_ver[7], 0x22);
}

TEST(FlashReport, AllZeroNandBlockMeansNoIds) {
  Bytes report = testing::nw_a50_report();
  report[0x2C] = 0;  // count 7 -> 0
  report.erase(report.begin() + 0x2D, report.begin() + 0x2D + 14);
  ASSERT_EQ(flash_report_length(report), 212u);
  const FlashReport r = parse_flash_report(report);
  EXPECT_TRUE(r.nand_ids.empty());
  EXPECT_EQ(r.emmc_user_size, 0x3AB400000u);
}

TEST(FlashReport, WrongLengthIsAProtocolError) {
  Bytes report = testing::nw_a50_report();
  report.pop_back();
  EXPECT_THROW(parse_flash_report(report), ProtocolError);
}

TEST(Trailer, PlainVariant) {
  const Bytes t = Bytes{0x5A} + testing::be32(0x11) + testing::be32(0x22) + Bytes{0xC1};
  EXPECT_EQ(trailer_extra_length(t), 0u);
  const ReportTrailer r = parse_report_trailer(t);
  EXPECT_EQ(r.variant, TrailerVariant::plain);
  EXPECT_EQ(r.download_status, 0x11u);
  EXPECT_EQ(r.boot_style, 0x22u);
  EXPECT_EQ(r.soc_ok, 0xC1);
}

TEST(Trailer, PrefixedVariant) {
  const Bytes t =
      testing::be32(0) + Bytes{0x5A} + testing::be32(0x33) + testing::be32(0x44) + Bytes{0xC1};
  EXPECT_EQ(trailer_extra_length(std::span<const std::uint8_t>(t).first(10)), 4u);
  const ReportTrailer r = parse_report_trailer(t);
  EXPECT_EQ(r.variant, TrailerVariant::prefixed);
  EXPECT_EQ(r.download_status, 0x33u);
  EXPECT_EQ(r.boot_style, 0x44u);
}

// docs/protocol/usb.md §8 only infers the prefix 00 00 00 00; the markers around the plain trailer
// decide.
TEST(Trailer, AnyFourBytePrefixBeforeTheMarkers) {
  const Bytes t = Bytes{0x12, 0x34, 0x00, 0xFF, 0x5A} + testing::be32(0x55) + testing::be32(0x66) +
                  Bytes{0xC1};
  EXPECT_EQ(trailer_extra_length(std::span<const std::uint8_t>(t).first(10)), 4u);
  const ReportTrailer r = parse_report_trailer(t);
  EXPECT_EQ(r.variant, TrailerVariant::prefixed);
  EXPECT_EQ(r.download_status, 0x55u);
  EXPECT_EQ(r.boot_style, 0x66u);
  EXPECT_EQ(r.soc_ok, 0xC1);
  EXPECT_EQ(r.raw, t);
}

// Without the closing C1 a 5A at byte 4 proves nothing: the caller resynchronises.
TEST(Trailer, PrefixedWithoutSocOkIsUnknown) {
  const Bytes t = testing::be32(0) + Bytes{0x5A} + testing::repeat(0, 8) + Bytes{0xCF};
  const ReportTrailer r = parse_report_trailer(t);
  EXPECT_EQ(r.variant, TrailerVariant::unknown);
  EXPECT_EQ(r.raw, t);
}

TEST(Trailer, GarbageIsUnknownAndKeepsTheBytes) {
  const Bytes t = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A};
  EXPECT_EQ(trailer_extra_length(t), 0u);
  const ReportTrailer r = parse_report_trailer(t);
  EXPECT_EQ(r.variant, TrailerVariant::unknown);
  EXPECT_EQ(r.raw, t);
  EXPECT_EQ(r.download_status, 0u);
  EXPECT_EQ(r.soc_ok, 0);
}

TEST(Trailer, PrefixWhoseRestNeverCameIsUnknown) {
  const Bytes t = Bytes{0x00, 0x00, 0x00, 0x00, 0x5A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(parse_report_trailer(t).variant, TrailerVariant::unknown);
}

TEST(Bytes, HexFormatting) {
  EXPECT_EQ(bytes::hex(Bytes{0x5A, 0x01, 0xC0}), "5A 01 C0");
  EXPECT_EQ(bytes::hex(Bytes{}), "(nothing)");
  EXPECT_EQ(bytes::hex(Bytes(40, 0), 2), "00 00 …(40 bytes)");
  EXPECT_EQ(bytes::hex_number(0x8590, 4), "0x8590");
  EXPECT_EQ(bytes::hex_number(0x40000, 1), "0x40000");
}

}  // namespace
}  // namespace mtkfs::da
