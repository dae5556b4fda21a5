#include "da/flash_info.h"

#include <gtest/gtest.h>

#include "tests/da/device_script.h"

namespace mtkfs::da {
namespace {

FlashInfo nw_a50_info() {
  FlashInfo info;
  info.connection = "socket /tmp/sim.sock";
  info.preloader = PreloaderInfo{0x8590, 0x8A00, 0xCB01, 0x0102, 0, 0x01, 0xFF};
  info.da_file = DaFileSummary{
      "MTK_AllInOne_DA.bin", "MTK_AllInOne_DA_v2", 3, 0x200000, 0x1100, 0x80000000, 0x2100};
  info.da1.version_major = 4;
  info.da1.version_minor = 2;
  info.da1.chip_id = 0x91;
  info.report = parse_flash_report(testing::nw_a50_report());
  info.da1.emmc_id = info.report.emmc_cid;
  info.usb_speed = 1;
  return info;
}

TEST(FlashInfo, PrintsWhatMtkclientShows) {
  const std::string text = format_flash_info(nw_a50_info());
  for (const char* expected : {
           "CPU:            MT8590 (hw code 0x8590)\n",
           "HW subcode:     0x8A00\n",
           "HW version:     0xCB01\n",
           "SW version:     0x0102\n",
           "Target config:  0x00000000 (SBC off, SLA off, DAA off)\n",
           "DA version:     4.2 (chip id 0x91)\n",
           "USB speed:      high speed\n",
           "Int SRAM:       0x40000 (256 KiB)\n",
           "Ext RAM:        DRAM (0x02), 0x20000000 (512 MiB)\n",
           "eMMC boot1:     0x400000 (4 MiB)\n",
           "eMMC boot2:     0x400000 (4 MiB)\n",
           "eMMC rpmb:      0x1000000 (16 MiB)\n",
           "eMMC gp1:       0x0 (0 B)\n",
           "eMMC user:      0x3AB400000 (14.68 GiB)\n",
           "eMMC CID:       15010041474E4433520712345678A1E3\n",
           "eMMC FW ver:    0100000000000000\n",
           "Random id:      FA7B5F0AE9D552120ABBAD92E4DFDA3B\n",
       })
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  EXPECT_EQ(text.find("DA1 eMMC id"), std::string::npos);  // same as the report's CID
}

// No real trailer was ever captured: `info` shows what the device sent where that is news.
TEST(FlashInfo, ReportEndShowsThePrefixAndUnknownTrailers) {
  using testing::operator+;
  FlashInfo info = nw_a50_info();
  info.trailer =
      parse_report_trailer(testing::Bytes{0x12, 0x34, 0x56, 0x78} + testing::plain_trailer());
  EXPECT_NE(format_flash_info(info).find(
                "Report end:     prefixed trailer, download status 0x00000000, boot style "
                "0x00000000 (prefix 12 34 56 78)\n"),
            std::string::npos)
      << format_flash_info(info);
  info.trailer = parse_report_trailer(testing::repeat(0x11, 10));
  EXPECT_NE(format_flash_info(info).find("Report end:     unrecognised trailer 11 11 11 11 11 11 "
                                         "11 11 11 11 (resynchronised)\n"),
            std::string::npos)
      << format_flash_info(info);
}

TEST(FlashInfo, TargetConfigBits) {
  EXPECT_EQ(describe_target_config(0x5), "0x00000005 (SBC on, SLA off, DAA on)");
  EXPECT_EQ(describe_target_config(0x1A),
            "0x0000001A (SBC off, SLA on, DAA off, EPP on, root cert on)");
  EXPECT_EQ(describe_target_config(0x100),
            "0x00000100 (SBC off, SLA off, DAA off, unknown bits 0x00000100)");
}

TEST(FlashInfo, HumanSizes) {
  EXPECT_EQ(human_size(0), "0 B");
  EXPECT_EQ(human_size(512), "512 B");
  EXPECT_EQ(human_size(1536), "1.50 KiB");
  EXPECT_EQ(human_size(0x20000000), "512 MiB");
  EXPECT_EQ(human_size(0x3AB400000), "14.68 GiB");
}

TEST(FlashInfo, ChipNames) {
  EXPECT_EQ(chip_name(0x8590), "MT8590");
  EXPECT_EQ(chip_name(0x6580), "MT6580");
}

}  // namespace
}  // namespace mtkfs::da
