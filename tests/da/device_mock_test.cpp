// The Device facade against scripted transports: the complete connect conversation, range
// checks, session ends and the sticky lost state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "da/device.h"
#include "da/errors.h"
#include "sim/image/synthetic_da.h"
#include "tests/da/device_script.h"
#include "tests/da/log_capture.h"
#include "tests/da/test_timing.h"

namespace mtkfs::da {
namespace {

using namespace mtkfs::testing;
using wire::HwPartition;

// What the Device owns: a forwarder, so the fixture keeps each script alive for inspection
// after the Device has dropped its transport.
class ForwardingTransport : public transport::Transport {
 public:
  explicit ForwardingTransport(ScriptedTransport& target) : target_(target) {}
  void write_all(std::span<const std::uint8_t> d, transport::Millis t) override {
    target_.write_all(d, t);
  }
  void read_exact(std::span<std::uint8_t> o, transport::Millis t) override {
    target_.read_exact(o, t);
  }
  void discard_input() override { target_.discard_input(); }
  std::string describe() const override { return target_.describe(); }

 private:
  ScriptedTransport& target_;
};

class DeviceMockTest : public ::testing::Test {
 protected:
  Bytes da_bytes = sim::image::build_synthetic_da(sim::image::protocol_test_da_options());
  std::vector<std::unique_ptr<ScriptedTransport>> scripts;
  std::size_t opens = 0;

  ScriptedTransport& next_script() {
    scripts.push_back(std::make_unique<ScriptedTransport>());
    return *scripts.back();
  }

  std::unique_ptr<Device> make_device() {
    DeviceOptions options;
    options.timing = fast_timing();
    return std::make_unique<Device>(
        [this]() -> std::unique_ptr<transport::Transport> {
          if (opens == scripts.size()) throw transport::TransportError("no device");
          return std::make_unique<ForwardingTransport>(*scripts[opens++]);
        },
        parse_da_file(da_bytes, "synthetic.bin"), options);
  }
};

TEST_F(DeviceMockTest, ConnectRunsTheWholeConversation) {
  ScriptedTransport& s = next_script();
  add_connect(s, da_bytes);
  auto device = make_device();
  const FlashInfo& info = device->connect();
  EXPECT_TRUE(s.finished()) << s.position();
  EXPECT_TRUE(device->connected());
  EXPECT_EQ(info.preloader.hw_code, 0x8590);
  EXPECT_EQ(info.da1.version_major, 4);
  EXPECT_EQ(info.da1.version_minor, 2);
  EXPECT_EQ(info.usb_speed, 1);
  EXPECT_EQ(info.da_file.path, "synthetic.bin");
  EXPECT_EQ(info.da_file.stage1_length, 0x1100u);
  EXPECT_EQ(device->size(HwPartition::user), 0x3AB400000u);
  EXPECT_EQ(device->size(HwPartition::boot1), 0x400000u);
  EXPECT_EQ(device->size(HwPartition::gp1), 0u);
  EXPECT_NE(device->describe().find("MT8590"), std::string::npos);
}

TEST_F(DeviceMockTest, ConnectWithReadyNoiseNoSwallowAndPrefixedTrailer) {
  ScriptedTransport& s = next_script();
  ConnectScript options;
  options.swallow_first_a0 = false;
  options.ready_noise = true;
  options.prefixed_trailer = true;
  options.nand_id_count = 0;
  options.report_pieces = {5, 100, 3, 200};
  add_connect(s, da_bytes, options);
  auto device = make_device();
  EXPECT_EQ(device->connect().trailer.variant, TrailerVariant::prefixed);
  EXPECT_TRUE(s.finished()) << s.position();
}

// docs/protocol/legacy-da.md §3: bromver in the stage-2 config is the byte GET_VERSION (FF)
// returned, whatever it was (add_stage2_config expects it as the first config byte).
TEST_F(DeviceMockTest, GetVersionAnswerIsSentBackAsBromver) {
  ScriptedTransport& s = next_script();
  ConnectScript options;
  options.brom_ver = 0x05;
  add_connect(s, da_bytes, options);
  auto device = make_device();
  EXPECT_EQ(device->connect().preloader.brom_ver, 0x05);
  EXPECT_TRUE(s.finished()) << s.position();
}

// docs/protocol/legacy-da.md §5.3: the real trailer was never captured. An unknown one is logged,
// the rest of what the DA sent is drained, and a DA that answers the 72 probe cleanly is used as usual.
TEST_F(DeviceMockTest, UnknownTrailerIsFollowedByAResync) {
  LogCapture log;
  ScriptedTransport& s = next_script();
  ConnectScript options;
  options.trailer = Bytes{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC};
  add_connect(s, da_bytes, options);               // its 72 is the resync probe
  s.expect({0x72}, "72 of the speed check").reply({0x5A, 0x01});
  const Bytes sector(512, 0x24);
  add_read(s, 8, 0, sector);
  auto device = make_device();
  const FlashInfo& info = device->connect();
  EXPECT_EQ(info.trailer.variant, TrailerVariant::unknown);
  EXPECT_NE(log.text().find("warning: the DA2 flash report trailer matches neither known layout"),
            std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("got 11 22 33 44 55 66 77 88 99 AA; resynchronising"),
            std::string::npos)
      << log.text();
  Bytes out(512);
  device->read(HwPartition::user, 0, out);
  EXPECT_EQ(out, sector);
  EXPECT_TRUE(s.finished()) << s.position();  // BB CC were drained
}

TEST_F(DeviceMockTest, UnknownTrailerAndNoAnswerToTheProbeFailsTheConnect) {
  ScriptedTransport& s = next_script();
  ConnectScript options;
  options.trailer = repeat(0x11, 10);
  add_connect_to_report(s, da_bytes, options);
  s.expect({0x72}, "probe 1");  // unanswered
  s.expect({0x72}, "probe 2");  // unanswered
  auto device = make_device();
  EXPECT_THAT([&] { device->connect(); },
              ::testing::ThrowsMessage<LinkLostError>(::testing::HasSubstr(
                  "the DA2 flash report trailer matches neither known layout (5A … C1, or "
                  "4 bytes + 5A … C1): got 11 11 11 11 11 11 11 11 11 11; the DA then did "
                  "not answer the resynchronisation probe (72)")));
  EXPECT_FALSE(device->connected());
  EXPECT_TRUE(s.finished()) << s.position();
}

TEST_F(DeviceMockTest, SpeedSwitchReconnectsThroughTheFactory) {
  ScriptedTransport& first = next_script();
  ConnectScript options;
  options.usb_speed = 0;
  add_connect(first, da_bytes, options);
  first.expect({0x70, 0x01}).reply({0x5A});
  ScriptedTransport& second = next_script();
  second.expect({0x72}).reply({0x5A, 0x01});
  const Bytes sector(512, 0x42);
  add_read(second, 8, 0, sector);
  auto device = make_device();
  EXPECT_EQ(device->connect().usb_speed, 1);
  EXPECT_EQ(opens, 2u);
  Bytes out(512);
  device->read(HwPartition::user, 0, out);  // continues on the new transport
  EXPECT_EQ(out, sector);
  EXPECT_TRUE(second.finished()) << second.position();
}

TEST_F(DeviceMockTest, RangesAreCheckedBeforeAnythingIsSent) {
  add_connect(next_script(), da_bytes);
  auto device = make_device();
  device->connect();
  Bytes out(1024);
  EXPECT_THROW(device->read(HwPartition::boot1, 100, std::span(out).first(512)), DeviceError);
  EXPECT_THROW(device->read(HwPartition::boot1, 0, std::span(out).first(100)), DeviceError);
  EXPECT_THROW(device->read(HwPartition::boot1, 0x400000 - 512, out), DeviceError);
  EXPECT_THROW(device->read(HwPartition::gp1, 0, std::span(out).first(512)), DeviceError);
  EXPECT_THROW(device->write(HwPartition::user, 0x3AB400000, std::span(out).first(512)),
               DeviceError);
  EXPECT_THAT([&] { device->read(HwPartition::boot2, 0x400000, std::span(out).first(512)); },
              ::testing::ThrowsMessage<DeviceError>(::testing::StrEq(
                  "read of boot2 at 0x400000 length 0x200: beyond the end of the partition (0x400000 "
                  "bytes)")));
  device->read(HwPartition::boot1, 0x400000, std::span(out).first(0));  // empty at the end: fine
  EXPECT_TRUE(scripts[0]->finished()) << scripts[0]->position();        // nothing was sent
  EXPECT_TRUE(device->connected());
}

TEST_F(DeviceMockTest, LastSectorOfTheUserAreaIsReadable) {
  ScriptedTransport& s = next_script();
  add_connect(s, da_bytes);
  const Bytes sector(512, 0x77);
  add_read(s, 8, 0x3AB400000 - 512, sector);
  auto device = make_device();
  device->connect();
  Bytes out(512);
  device->read(HwPartition::user, 0x3AB400000 - 512, out);
  EXPECT_EQ(out, sector);
}

TEST_F(DeviceMockTest, CloseWithRebootSendsDb) {
  ScriptedTransport& s = next_script();
  add_connect(s, da_bytes);
  s.expect({0xDB, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}).reply({0x5A});
  auto device = make_device();
  device->connect();
  device->close(EndMode::reboot);
  EXPECT_FALSE(device->connected());
  EXPECT_EQ(device->size(HwPartition::user), 0u);
  Bytes out(512);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), DeviceError);
}

TEST_F(DeviceMockTest, CloseStaySendsNothing) {
  ScriptedTransport& s = next_script();
  add_connect(s, da_bytes);
  auto device = make_device();
  device->connect();
  device->close(EndMode::stay);  // the script has nothing more: any byte would be a mismatch
  EXPECT_TRUE(s.finished());
}

TEST_F(DeviceMockTest, LostSessionStaysLost) {
  ScriptedTransport& s = next_script();
  add_connect(s, da_bytes);
  s.expect({0x60}).disconnect();
  auto device = make_device();
  device->connect();
  Bytes out(512);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), LinkLostError);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), LinkLostError);
  EXPECT_NE(device->describe().find("session lost"), std::string::npos);
  EXPECT_THROW(device->close(EndMode::reboot), LinkLostError);
}

TEST_F(DeviceMockTest, ConnectFailureCanBeRetried) {
  ScriptedTransport& bad = next_script();
  add_handshake(bad, false, false);
  bad.expect({0xFD}).reply(Bytes{0xFD, 0x85, 0x90, 0x00, 0x01});  // status 1
  add_connect(next_script(), da_bytes);
  auto device = make_device();
  EXPECT_THAT([&] { device->connect(); },
              ::testing::ThrowsMessage<DeviceError>(::testing::StrEq("GET_HW_CODE (FD) failed: status 0x0001")));
  EXPECT_FALSE(device->connected());
  EXPECT_NO_THROW(device->connect());
}

TEST_F(DeviceMockTest, NoEntryForTheChipFailsTheConnectWithADaFileError) {
  sim::image::SyntheticDaOptions spec = sim::image::protocol_test_da_options();
  spec.entries[0].hw_code = 0x6580;
  da_bytes = sim::image::build_synthetic_da(spec);
  ScriptedTransport& s = next_script();
  add_handshake(s, true, false);
  add_identify(s);
  auto device = make_device();
  EXPECT_THAT([&] { device->connect(); },
              ::testing::ThrowsMessage<DaFileError>(
                  ::testing::StrEq("DA file synthetic.bin has no entry for hw code 0x8590 (found: 0x6580)")));
}

// A transport that already knows the USB product id.
class HintedTransport : public ForwardingTransport {
 public:
  HintedTransport(ScriptedTransport& target, transport::BootStage stage)
      : ForwardingTransport(target), stage_(stage) {}
  transport::BootStage boot_stage_hint() const override { return stage_; }

 private:
  transport::BootStage stage_;
};

TEST_F(DeviceMockTest, BromAndRunningDaAreRecognisedBeforeAnyByte) {
  for (auto [stage, expected] :
       {std::pair{transport::BootStage::brom, "device is in BROM mode (USB id 0e8d:0003)"},
        std::pair{transport::BootStage::da,
                  "already running a Download Agent (USB id 0e8d:2001) from an earlier "
                  "session that this host has no record of (or that no longer answers), so its "
                  "flash sizes are unknown: hold the power key about 10 s to reset the device"}}) {
    ScriptedTransport silent;  // any byte sent would be a script mismatch
    Device device(
        [&]() -> std::unique_ptr<transport::Transport> {
          return std::make_unique<HintedTransport>(silent, stage);
        },
        parse_da_file(da_bytes), DeviceOptions{fast_timing()});
    EXPECT_THAT([&] { device.connect(); }, ::testing::ThrowsMessage<DeviceError>(::testing::HasSubstr(expected)));
  }
}

TEST_F(DeviceMockTest, OpenFailureIsADeviceError) {
  auto device = make_device();
  EXPECT_THAT([&] { device->connect(); },
              ::testing::ThrowsMessage<DeviceError>(::testing::StrEq("cannot open the device: no device")));
}

}  // namespace
}  // namespace mtkfs::da
