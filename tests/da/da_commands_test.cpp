#include "da/da_commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "da/errors.h"
#include "tests/da/device_script.h"
#include "tests/da/error_matchers.h"
#include "tests/da/log_capture.h"
#include "tests/da/test_timing.h"

namespace mtkfs::da {
namespace {

using namespace mtkfs::testing;
using wire::HwPartition;

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>((i >> 3) * 29 + seed + i);
  return b;
}

class DaCommandsTest : public ::testing::Test {
 protected:
  ScriptedTransport device;
  Channel channel{device};
  DaCommands da{channel, fast_timing()};

  void expect_resync_probe(std::uint8_t speed = 1) {
    device.expect({0x72}, "probe").reply({0x5A, speed});
  }
};

TEST_F(DaCommandsTest, HighSpeedAnswerNeedsNoSwitch) {
  device.expect({0x72}).reply({0x5A, 0x01});
  int reconnects = 0;
  EXPECT_EQ(da.ensure_high_speed([&] { ++reconnects; }), 1);
  EXPECT_EQ(reconnects, 0);
  EXPECT_TRUE(device.finished());
}

TEST_F(DaCommandsTest, FullSpeedSwitchesAndReconnects) {
  device.expect({0x72}).reply({0x5A, 0x00});
  device.expect({0x70, 0x01}).reply({0x5A});
  ScriptedTransport after_switch;
  after_switch.expect({0x72}).reply({0x5A, 0x01});
  int reconnects = 0;
  EXPECT_EQ(da.ensure_high_speed([&] {
    ++reconnects;
    channel.rebind(after_switch);
  }),
            1);
  EXPECT_EQ(reconnects, 1);
  EXPECT_TRUE(device.finished());
  EXPECT_TRUE(after_switch.finished());
}

// A USB 1.1 hub or a VM's OHCI keeps the DA at full speed: slow, but the session works.
TEST_F(DaCommandsTest, StillFullSpeedAfterTheSwitchContinuesWithAWarning) {
  LogCapture log;
  device.expect({0x72}).reply({0x5A, 0x00});
  device.expect({0x70, 0x01}).reply({0x5A});
  ScriptedTransport after_switch;
  after_switch.expect({0x72}).reply({0x5A, 0x00});
  const Bytes sector = pattern(512, 9);
  add_read(after_switch, 8, 0, sector);
  int reconnects = 0;
  EXPECT_EQ(da.ensure_high_speed([&] {
    ++reconnects;
    channel.rebind(after_switch);
  }),
            0);
  EXPECT_EQ(reconnects, 1);
  EXPECT_NE(log.text().find("warning: the DA still reports full-speed USB after the speed switch"),
            std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("reads will be slow (about 1 MB/s)"), std::string::npos)
      << log.text();
  Bytes out(512);
  da.read(HwPartition::user, 0, out);
  EXPECT_EQ(out, sector);
  EXPECT_TRUE(device.finished()) << device.position();
  EXPECT_TRUE(after_switch.finished()) << after_switch.position();
}

TEST_F(DaCommandsTest, ReadOneSectorOfBoot1) {
  const Bytes sector = pattern(512, 1);
  add_read(device, 1, 0x200, sector);
  Bytes out(512);
  da.read(HwPartition::boot1, 0x200, out);
  EXPECT_EQ(out, sector);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, OneReadCommandSpansManyChunks) {
  const Bytes data = pattern(3 * 0x100000 + 1024, 2);
  add_read(device, 8, 0x40000000, data);
  Bytes out(data.size());
  da.read(HwPartition::user, 0x40000000, out);
  EXPECT_EQ(out, data);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, BadChecksumIsReReadFromTheFailingChunk) {
  const Bytes data = pattern(2 * 0x100000 + 512, 3);
  add_read(device, 8, 0, data, /*corrupt_chunk=*/1);  // every chunk still ACKed
  const Bytes rest(data.begin() + 0x100000, data.end());
  add_read(device, 8, 0x100000, rest);  // new D6 from the failing offset
  Bytes out(data.size());
  da.read(HwPartition::user, 0, out);
  EXPECT_EQ(out, data);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, PersistentBadChecksumFailsAfterThreeRetries) {
  const Bytes data = pattern(1024, 4);
  for (int attempt = 0; attempt < 4; ++attempt) add_read(device, 2, 0, data, 0);
  Bytes out(data.size());
  // The session is fine, only the data is bad: a DeviceError, not LinkLostError.
  EXPECT_THAT([&] { da.read(HwPartition::boot2, 0, out); },
              ThrowsDeviceErrorKeepingSession(::testing::HasSubstr("checksum mismatch persisted after 3 retries")));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, ReadNackResynchronisesAndKeepsTheSession) {
  device.expect({0x60}).reply({0x5A});
  device.expect({0x08}).reply({0x5A});
  device.expect(Bytes{0xD6, 0x0C, 0x02} + be64(0) + be64(512)).reply({0xA5});
  expect_resync_probe();
  Bytes out(512);
  EXPECT_THAT([&] { da.read(HwPartition::user, 0, out); },
              ThrowsDeviceErrorKeepingSession(::testing::HasSubstr("the DA refused READ (D6) of user at 0x0 length 0x200")));
  // The same session then reads normally.
  const Bytes sector = pattern(512, 5);
  add_read(device, 8, 0, sector);
  da.read(HwPartition::user, 0, out);
  EXPECT_EQ(out, sector);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, SilentDeviceMidChunkLosesTheSession) {
  device.expect({0x60}).reply({0x5A});
  device.expect({0x08}).reply({0x5A});
  device.expect(Bytes{0xD6, 0x0C, 0x02} + be64(0) + be64(0x100000)).reply({0x5A});
  device.expect(be32(0x100000)).reply(Bytes(1000, 0));  // then nothing
  device.expect({0x72}, "probe 1");                     // unanswered
  device.expect({0x72}, "probe 2");                     // unanswered
  Bytes out(0x100000);
  EXPECT_THAT([&] { da.read(HwPartition::user, 0, out); },
              ::testing::ThrowsMessage<LinkLostError>(::testing::HasSubstr("session is lost")));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, ProbeAnswerFollowedByMoreBytesIsNotTrusted) {
  device.expect({0x60}).reply({0x5A});
  device.expect({0x01}).reply({0xA5});                               // partition refused
  device.expect({0x72}, "probe 1").reply({0x5A, 0x01, 0x00, 0x00});  // chatter after the answer
  device.expect({0x72}, "probe 2").reply({0x5A, 0x01});
  Bytes out(512);
  EXPECT_THAT([&] { da.read(HwPartition::boot1, 0, out); },
              ThrowsDeviceErrorKeepingSession(::testing::HasSubstr("SDMMC_SWITCH_PART (60) to boot1 (partition id 1)")));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, DisconnectMidReadIsLinkLost) {
  device.expect({0x60}).reply({0x5A});
  device.expect({0x08}).reply({0x5A});
  device.expect(Bytes{0xD6, 0x0C, 0x02} + be64(0) + be64(512)).reply({0x5A});
  device.expect(be32(0x100000)).reply(Bytes(100, 0)).disconnect();
  Bytes out(512);
  EXPECT_THROW(da.read(HwPartition::user, 0, out), LinkLostError);
}

TEST_F(DaCommandsTest, WriteSendsTheHeaderThenChecksummedChunks) {
  const Bytes data = pattern(0x100000 + 512, 6);
  device
      .expect(Bytes{0x62, 0x02, 0x08} + be64(0x8000) + be64(data.size()) + be32(0x100000),
              "62 header")
      .reply({0x5A});
  const Bytes first(data.begin(), data.begin() + 0x100000);
  const Bytes second(data.begin() + 0x100000, data.end());
  device.expect(Bytes{0x5A} + first + be16(sum16(first)), "chunk 0").reply({0x69});
  device.expect(Bytes{0x5A} + second + be16(sum16(second)), "chunk 1").reply({0x69});
  da.write(HwPartition::user, 0x8000, data);
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, WriteChunkNotConfirmedIsAnErrorAndResyncs) {
  const Bytes data = pattern(1024, 7);
  device.expect(Bytes{0x62, 0x02, 0x01} + be64(0) + be64(1024) + be32(0x100000)).reply({0x5A});
  device.expect(Bytes{0x5A} + data + be16(sum16(data))).reply({0xA5});
  expect_resync_probe();
  EXPECT_THAT([&] { da.write(HwPartition::boot1, 0, data); },
              ThrowsDeviceErrorKeepingSession(::testing::HasSubstr("was not written: expected CONT 69, got A5")));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, RebootSendsTheCToolBytes) {
  device.expect({0xDB, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}).reply({0x5A});
  da.reboot();
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(DaCommandsTest, RebootNeedsAck) {
  device.expect({0xDB, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}).reply({0xA5});
  EXPECT_THROW(da.reboot(), ProtocolError);
}

TEST_F(DaCommandsTest, PowerOffNeedsTwoAcks) {
  device.expect({0xD9}).reply({0x5A});
  device.expect(be32(0)).reply({0x5A});
  da.power_off();
  EXPECT_TRUE(device.finished()) << device.position();
}

}  // namespace
}  // namespace mtkfs::da
