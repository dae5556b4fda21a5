// The session record (da/session_record.h): what a later mtkfs needs to continue a DA left running.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "da/session_record.h"

namespace mtkfs::da {
namespace {

FlashInfo nw_a50() {
  FlashInfo info;
  info.preloader.hw_code = 0x8590;
  info.preloader.hw_ver = 0xCB01;
  info.preloader.sw_ver = 0x0102;
  info.usb_speed = 1;
  info.report.emmc_boot1_size = 0x400000;
  info.report.emmc_boot2_size = 0x400000;
  info.report.emmc_rpmb_size = 0x1000000;
  info.report.emmc_user_size = 0x3AB400000;
  for (std::size_t i = 0; i < 16; ++i) info.report.emmc_cid[i] = static_cast<std::uint8_t>(0x15 + 7 * i);
  info.da_file.path = "/home/a user/MTK_AllInOne_DA.bin";
  return info;
}

TEST(SessionRecord, RoundTripsEverythingAContinuedSessionNeeds) {
  const std::string text = format_session_record("socket /tmp/a 50.sock", nw_a50());
  std::string error;
  const auto record = parse_session_record(text, error);
  ASSERT_TRUE(record) << error << "\n" << text;
  EXPECT_EQ(record->link, "socket /tmp/a 50.sock");
  const FlashInfo want = nw_a50();
  EXPECT_EQ(record->info.preloader.hw_code, want.preloader.hw_code);
  EXPECT_EQ(record->info.preloader.hw_ver, want.preloader.hw_ver);
  EXPECT_EQ(record->info.preloader.sw_ver, want.preloader.sw_ver);
  EXPECT_EQ(record->info.usb_speed, 1);
  EXPECT_EQ(record->info.report.emmc_cid, want.report.emmc_cid);
  for (HwPartition part : {HwPartition::boot1, HwPartition::boot2, HwPartition::rpmb, HwPartition::gp1,
                           HwPartition::user})
    EXPECT_EQ(record->info.partition_size(part), want.partition_size(part));
  EXPECT_EQ(record->info.da_file.path, want.da_file.path);
}

TEST(SessionRecord, AnythingIncompleteOrOddIsRefusedWithAReason) {
  const std::string good = format_session_record("usb", nw_a50());
  auto refused = [](const std::string& text) {
    std::string error;
    const bool parsed = parse_session_record(text, error).has_value();
    return !parsed && !error.empty();
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("# something else\n"));
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1))) << "last line cut short";
  EXPECT_TRUE(refused(good + "extra=1\n"));
  EXPECT_TRUE(refused(good + "user=0\n")) << "a field given twice";
  std::string odd_size = good;
  odd_size.replace(odd_size.find("user=3AB400000"), 14, "user=3AB400001");
  EXPECT_TRUE(refused(odd_size)) << "sizes are whole sectors";
  std::string short_cid = good;
  short_cid.replace(short_cid.find("cid="), 6, "cid=");
  EXPECT_TRUE(refused(short_cid));
  std::string fast = good;
  fast.replace(fast.find("usb_speed=1"), 11, "usb_speed=7");
  EXPECT_TRUE(refused(fast));
  EXPECT_TRUE(refused(good + std::string(5000, 'x') + "\n"));
}

TEST(SessionRecord, SavedLoadedAndRemoved) {
  const auto dir = std::filesystem::temp_directory_path() / ("mtkfs-record-" + std::to_string(::getpid()));
  const auto file = dir / "sub" / "socket-1.session";
  save_session_record(file, "socket /x", nw_a50());
  std::string error;
  const auto record = load_session_record(file, error);
  ASSERT_TRUE(record) << error;
  EXPECT_EQ(record->info.report.emmc_user_size, 0x3AB400000u);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".new"));
  std::ofstream(file) << "# mtkfs session record 1\nbroken\n";
  EXPECT_FALSE(load_session_record(file, error));
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  remove_session_record(file);
  error.clear();
  EXPECT_FALSE(load_session_record(file, error));
  EXPECT_EQ(error, "") << "no record is not an error";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mtkfs::da
