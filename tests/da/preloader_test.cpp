#include "da/preloader.h"

#include <gtest/gtest.h>

#include "da/errors.h"
#include "tests/da/device_script.h"
#include "tests/da/log_capture.h"
#include "tests/da/test_timing.h"

namespace mtkfs::da {
namespace {

using namespace mtkfs::testing;

class PreloaderTest : public ::testing::Test {
 protected:
  ScriptedTransport device;
  Channel channel{device};
  Timing timing = fast_timing();
  PreloaderClient client{channel, timing};

  std::string failure(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const DeviceError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(PreloaderTest, HandshakeWithADeviceThatAnswersTheFirstA0) {
  add_handshake(device, /*swallow=*/false, /*ready_noise=*/false);
  client.handshake();
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, HandshakeWithAPreloaderThatSwallowsTheFirstA0) {
  add_handshake(device, /*swallow=*/true, /*ready_noise=*/false);
  client.handshake();
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, HandshakeThroughReadyNoiseAndSwallow) {
  add_handshake(device, /*swallow=*/true, /*ready_noise=*/true);
  client.handshake();
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_GE(device.discards(), 2u);  // once before the first A0, once before the retry
}

TEST_F(PreloaderTest, HandshakeSkipsNoiseQueuedBeforeThe5F) {
  device.expect({0xA0}).reply(text("READY") + Bytes{0x5F});
  device.expect({0x0A}).reply({0xF5});
  device.expect({0x50}).reply({0xAF});
  device.expect({0x05}).reply({0xFA});
  client.handshake();
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, HandshakeRestartsFromA0OnAMismatch) {
  device.expect({0xA0}).reply({0x5F});
  device.expect({0x0A}).reply({0x0B});  // the device's "b+1" for an unexpected byte
  device.expect({0xA0}).reply({0x5F});
  device.expect({0x0A}).reply({0xF5});
  device.expect({0x50}).reply({0xAF});
  device.expect({0x05}).reply({0xFA});
  client.handshake();
  EXPECT_TRUE(device.finished()) << device.position();
}

// A device that never answers: the handshake ends at its deadline with advice.
class MuteDevice : public transport::Transport {
 public:
  void write_all(std::span<const std::uint8_t>, transport::Millis) override {}
  void read_exact(std::span<std::uint8_t>, transport::Millis) override {
    throw transport::TimeoutError("silence");
  }
  void discard_input() override {}
  std::string describe() const override { return "mute device"; }
};

TEST_F(PreloaderTest, HandshakeGivesUpAtTheDeadline) {
  MuteDevice mute;
  Channel mute_channel(mute);
  timing.handshake_deadline = Millis{30};
  PreloaderClient mute_client(mute_channel, timing);
  const std::string msg = failure([&] { mute_client.handshake(); });
  EXPECT_NE(msg.find("no Preloader handshake on mute device within 30 ms"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("download mode"), std::string::npos) << msg;
  // A DA left running answers on 0e8d:2000 too, and the battery outlives unplugging it.
  EXPECT_NE(msg.find("A Download Agent left running by an earlier attempt does not answer"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hold the power key about 10 s to reset the device, then enter download "
                     "mode again"),
            std::string::npos)
      << msg;
}

TEST_F(PreloaderTest, IdentifyReadsTheNwA50Values) {
  add_identify(device);
  const PreloaderInfo info = client.identify();
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_EQ(info.hw_code, 0x8590);
  EXPECT_EQ(info.hw_subcode, 0x8A00);
  EXPECT_EQ(info.hw_ver, 0xCB01);
  EXPECT_EQ(info.sw_ver, 0x0102);
  EXPECT_EQ(info.target_config, 0u);
  EXPECT_EQ(info.bl_ver, 0x01);
  EXPECT_EQ(info.brom_ver, 0xFF);
}

// The echo FF is what a Preloader's source implies, never captured; BROM sends its version there.
TEST_F(PreloaderTest, GetVersionTakesWhateverByteTheDeviceSends) {
  LogCapture log;
  device.expect({0xFF}).reply({0x05});
  EXPECT_EQ(client.get_version(), 0x05);
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_NE(log.text().find("info: GET_VERSION (FF) answered 05 instead of the echo FF"),
            std::string::npos)
      << log.text();
}

TEST_F(PreloaderTest, IdentifyKeepsAnUnexpectedGetVersionAnswer) {
  add_identify(device, /*brom_ver=*/0x8A);
  EXPECT_EQ(client.identify().brom_ver, 0x8A);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, WrongEchoNamesTheCommandAndTheBytes) {
  device.expect({0xD4}).reply({0xD4});
  device.expect(be32(0x10007000)).reply(be32(0x10007001));
  const std::string msg = failure([&] { client.write32(0x10007000, 0x22000064); });
  EXPECT_EQ(msg,
            "unexpected WRITE32 (D4) 0x10007000 address echo: expected 10 00 70 00, got 10 "
            "00 70 01");
}

TEST_F(PreloaderTest, NonZeroStatusIsAnError) {
  device.expect({0xD8}).reply(Bytes{0xD8} + be32(0) + be16(0x1D0D));
  const std::string msg = failure([&] { client.get_target_config(); });
  EXPECT_EQ(msg, "GET_TARGET_CONFIG (D8) failed: status 0x1D0D (SLA authentication required)");
}

TEST_F(PreloaderTest, BromModeIsRefused) {
  device.expect({0xFE}).reply({0xFE});
  const std::string msg = failure([&] { client.get_bl_ver(); });
  EXPECT_NE(msg.find("device is in BROM mode"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not supported"), std::string::npos) << msg;
}

TEST_F(PreloaderTest, MissingReplyIsATimeoutNamingTheStep) {
  device.expect({0xFD}).reply({0xFD});
  const std::string msg = failure([&] { client.get_hw_code(); });
  EXPECT_NE(msg.find("timed out after 1000 ms waiting for GET_HW_CODE (FD) hw code"),
            std::string::npos)
      << msg;
}

TEST_F(PreloaderTest, SendDaWithOddLengthVerifiesTheChecksum) {
  const Bytes image = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  device.expect({0xD7}).reply({0xD7});
  device.expect(be32(0x00200000)).reply(be32(0x00200000));
  device.expect(be32(7)).reply(be32(7));  // exactly the length: no padding byte
  device.expect(be32(0)).reply(be32(0) + be16(0));
  device.expect(image).reply(Bytes{0x07, 0x00} + be16(0));
  client.send_da(0x00200000, image, 0);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, SendDaChecksumMismatchIsAnError) {
  const Bytes image = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  device.expect({0xD7}).reply({0xD7});
  device.expect(be32(0x00200000)).reply(be32(0x00200000));
  device.expect(be32(7)).reply(be32(7));
  device.expect(be32(0)).reply(be32(0) + be16(0));
  device.expect(image).reply(Bytes{0x07, 0x01} + be16(0));
  const std::string msg = failure([&] { client.send_da(0x00200000, image, 0); });
  EXPECT_EQ(msg,
            "SEND_DA (D7): the device computed checksum 0x0701 over the 7-byte DA image, "
            "mtkfs computed 0x0700 (data damaged in transit)");
}

TEST_F(PreloaderTest, SendDaStreamsLargeImagesAndHonoursTheSignatureLength) {
  Bytes image(3 * 1024 * 1024 + 3);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i ^ (i >> 9));
  add_send_da(device, 0x00200000, image, 0x100);
  client.send_da(0x00200000, image, 0x100);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, SendDaRejectedBySignatureCheck) {
  const Bytes image = {1, 2, 3, 4};
  device.expect({0xD7}).reply({0xD7});
  device.expect(be32(0x00200000)).reply(be32(0x00200000));
  device.expect(be32(4)).reply(be32(4));
  device.expect(be32(0)).reply(be32(0) + be16(0));
  device.expect(image).reply(be16(xor16(image)) + be16(0x7017));
  EXPECT_EQ(failure([&] { client.send_da(0x00200000, image, 0); }),
            "SEND_DA (D7) rejected the DA image: status 0x7017 (DAA security error)");
}

TEST_F(PreloaderTest, JumpDa) {
  add_jump_da(device, 0x00200000);
  client.jump_da(0x00200000);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(PreloaderTest, DisconnectIsLinkLost) {
  device.expect({0xFD}).disconnect();
  EXPECT_THROW(client.get_hw_code(), LinkLostError);
}

}  // namespace
}  // namespace mtkfs::da
