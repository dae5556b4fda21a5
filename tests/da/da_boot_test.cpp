#include "da/da_boot.h"

#include <gtest/gtest.h>

#include "da/errors.h"
#include "tests/da/device_script.h"
#include "tests/da/test_timing.h"

namespace mtkfs::da {
namespace {

using namespace mtkfs::testing;

class DaBootTest : public ::testing::Test {
 protected:
  ScriptedTransport device;
  Channel channel{device};
  DaBoot boot{channel, fast_timing()};

  std::string failure(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const DeviceError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(DaBootTest, SyncWithSevenNandIds) {
  add_da1_sync(device, 7);
  const Da1Info info = boot.sync();
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_EQ(info.nand_ret, 0xBC4u);
  EXPECT_EQ(info.nand_ids.size(), 7u);
  EXPECT_EQ(info.emmc_ret, 0u);
  EXPECT_EQ(info.emmc_id[0], 0x15);
  EXPECT_EQ(info.emmc_id[15], 0xE3);
  EXPECT_EQ(info.version_major, 4);
  EXPECT_EQ(info.version_minor, 2);
  EXPECT_EQ(info.chip_id, 0x91);
}

TEST_F(DaBootTest, SyncWithoutNandIds) {
  add_da1_sync(device, 0);
  const Da1Info info = boot.sync();
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_TRUE(info.nand_ids.empty());
  EXPECT_EQ(info.emmc_id[1], 0x01);
}

TEST_F(DaBootTest, SyncNeedsC0) {
  device.reply({0xC1});
  EXPECT_EQ(failure([&] { boot.sync(); }),
            "DA1 did not start: expected sync byte C0 after JUMP_DA, got C1");
}

TEST_F(DaBootTest, Stage2ConfigIsTheCToolBytes) {
  add_stage2_config(device);
  boot.send_stage2_config(0xFF, 0x01);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaBootTest, Stage2ConfigRamErrorMeansBromMode) {
  device
      .expect({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00,
               0x02, 0x01, 0x02, 0x00})
      .reply(be32(0xBC3));
  EXPECT_NE(failure([&] { boot.send_stage2_config(0xFF, 0x01); }).find("DRAM not initialised"),
            std::string::npos);
}

TEST_F(DaBootTest, Stage2UploadInPacketSizeChunks) {
  Bytes image(0x2100);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 13);
  add_stage2_upload(device, 0x80000000, image);
  boot.upload_stage2(0x80000000, image);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaBootTest, Stage2RejectedByDa1) {
  const Bytes image(0x1000, 0x33);
  device.expect(be32(0x80000000) + be32(0x1000) + be32(0x1000)).reply({0x5A});
  device.expect(image).reply({0x5A});
  device.expect({0x5A}).reply({0xA5});
  const std::string msg = failure([&] { boot.upload_stage2(0x80000000, image); });
  EXPECT_NE(msg.find("the DA refused the uploaded DA stage 2 (NACK A5)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("do not belong together"), std::string::npos) << msg;
}

TEST_F(DaBootTest, ChunkNackStopsTheUpload) {
  const Bytes image(0x2000, 0x44);
  device.expect(be32(0x80000000) + be32(0x2000) + be32(0x1000)).reply({0x5A});
  device.expect(Bytes(0x1000, 0x44)).reply({0xA5});
  EXPECT_NE(failure([&] {
              boot.upload_stage2(0x80000000, image);
            }).find("refused DA stage-2 chunk at offset 0x0"),
            std::string::npos);
}

struct ReportCase {
  bool prefixed;
  std::vector<std::size_t> pieces;
};

class ReportTest : public DaBootTest, public ::testing::WithParamInterface<ReportCase> {};

TEST_P(ReportTest, ReportAndTrailerInAnySplit) {
  ConnectScript script;
  script.prefixed_trailer = GetParam().prefixed;
  script.report_pieces = GetParam().pieces;
  add_report(device, script);
  ReportTrailer trailer;
  const FlashReport r = boot.read_report(trailer);
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_EQ(trailer.variant,
            GetParam().prefixed ? TrailerVariant::prefixed : TrailerVariant::plain);
  EXPECT_EQ(trailer.soc_ok, 0xC1);
  EXPECT_EQ(r.emmc_user_size, 0x3AB400000u);
  EXPECT_EQ(r.ext_ram_size, 0x20000000u);
}

INSTANTIATE_TEST_SUITE_P(
    Splits, ReportTest,
    ::testing::Values(ReportCase{false, {}}, ReportCase{true, {}},
                      // the spec's units, then the trailer
                      ReportCase{false, {0x1C, 0x11, 0x0E, 9, 0x5C, 0x1C, 0x26, 10}},
                      // odd pieces that cut through fields and the trailer
                      ReportCase{false, {1, 3, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41}},
                      ReportCase{true, {1, 3, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41}},
                      ReportCase{true, {225, 2, 4, 1, 3, 5}},
                      ReportCase{true, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}));

TEST_F(DaBootTest, TruncatedReportTimesOut) {
  const Bytes report = nw_a50_report();
  device.reply(Bytes(report.begin(), report.begin() + 100));
  ReportTrailer trailer;
  EXPECT_THROW(boot.read_report(trailer), ProtocolError);
}

// The report is good; only the unknown trailer leaves the stream position in doubt, which the
// caller settles by resynchronising (DeviceMockTest.UnknownTrailerIsFollowedByAResync).
TEST_F(DaBootTest, UnknownTrailerIsReturnedAsUnknown) {
  device.reply(nw_a50_report() + repeat(0x11, 10));
  ReportTrailer trailer;
  const FlashReport r = boot.read_report(trailer);
  EXPECT_EQ(trailer.variant, TrailerVariant::unknown);
  EXPECT_EQ(trailer.raw, repeat(0x11, 10));
  EXPECT_EQ(r.emmc_user_size, 0x3AB400000u);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaBootTest, AnyPrefixBeforeThePlainTrailer) {
  device.reply(nw_a50_report() + Bytes{0xDE, 0xAD, 0xBE, 0xEF} + plain_trailer());
  ReportTrailer trailer;
  boot.read_report(trailer);
  EXPECT_EQ(trailer.variant, TrailerVariant::prefixed);
  EXPECT_EQ(trailer.soc_ok, 0xC1);
  EXPECT_TRUE(device.finished()) << device.position();
}

// 5A at byte 4 asks for 4 more bytes; when they never come that is no reason to give up.
TEST_F(DaBootTest, MissingRestOfAGuessedPrefixIsUnknown) {
  const Bytes ten = {0x00, 0x00, 0x00, 0x00, 0x5A, 0x00, 0x00, 0x00, 0x00, 0x00};
  device.reply(nw_a50_report() + ten + Bytes{0x00});
  ReportTrailer trailer;
  boot.read_report(trailer);
  EXPECT_EQ(trailer.variant, TrailerVariant::unknown);
  EXPECT_EQ(trailer.raw, ten + Bytes{0x00});
  EXPECT_TRUE(device.finished()) << device.position();
}

}  // namespace
}  // namespace mtkfs::da
