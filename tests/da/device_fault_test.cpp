// Every simulator fault knob must end in a clean outcome: a transparent retry, or a clear
// DeviceError/LinkLostError — never a hang (every wait is bounded) and never wrong bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "da/errors.h"
#include "tests/da/error_matchers.h"
#include "tests/da/sim_fixture.h"

namespace mtkfs::testing {
namespace {

using da::HwPartition;

// Shorter bounds for the waits a fault makes us sit out; still far above the simulator's latency.
da::Timing fault_timing() {
  da::Timing t = fast_timing();
  t.reply = da::Millis{400};
  t.chunk = da::Millis{2000};
  t.drain_silence = da::Millis{150};
  return t;
}

class DeviceFault : public ::testing::TestWithParam<Medium> {
 protected:
  SimDevice sim;

  std::unique_ptr<da::Device> connect(da::Timing timing = fault_timing()) {
    sim.start(GetParam());
    auto device = sim.make_device(timing);
    device->connect();
    return device;
  }

  void expect_pattern(da::Device& device, HwPartition part, std::uint64_t offset,
                      std::size_t length) {
    std::vector<std::uint8_t> got(length);
    device.read(part, offset, got);
    EXPECT_EQ(first_pattern_error(got, static_cast<std::uint8_t>(part), offset), -1);
  }
};

TEST_P(DeviceFault, CorruptChunkIsReReadTransparently) {
  sim.config.faults.corrupt_chunk = 2;
  auto device = connect();
  expect_pattern(*device, HwPartition::user, 0, 4 << 20);
  expect_pattern(*device, HwPartition::user, 0, 4 << 20);  // the fault fired once only
}

TEST_P(DeviceFault, DroppedLinkIsLinkLost) {
  sim.config.faults.drop_after_bytes = 3 << 20;
  auto device = connect();
  std::vector<std::uint8_t> out(8 << 20);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), da::LinkLostError);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), da::LinkLostError);  // sticky
  EXPECT_FALSE(device->connected());
}

TEST_P(DeviceFault, NackedReadFailsAndTheSessionGoesOn) {
  sim.config.faults.nack_command = 0xD6;
  auto device = connect();
  std::vector<std::uint8_t> out(512);
  EXPECT_THAT([&] { device->read(HwPartition::boot1, 0, out); },
              ThrowsDeviceErrorKeepingSession(::testing::HasSubstr("the DA refused READ (D6)")));
  expect_pattern(*device, HwPartition::boot1, 0, 512);
}

TEST_P(DeviceFault, NackedWriteFailsAndTheSessionGoesOn) {
  sim.config.faults.nack_command = 0x62;
  auto device = connect();
  const std::vector<std::uint8_t> sector(512, 0x11);
  EXPECT_THROW(device->write(HwPartition::user, 0, sector), da::DeviceError);
  EXPECT_TRUE(device->connected());
  expect_pattern(*device, HwPartition::user, 0, 512);  // nothing was written
  device->write(HwPartition::user, 0, sector);
  EXPECT_EQ(sim.file_bytes("user.img", 0, 512), sector);
}

TEST_P(DeviceFault, NackedPartitionSwitchFailsAndTheSessionGoesOn) {
  sim.config.faults.nack_command = 0x60;
  sim.config.faults.nack_count = 2;
  auto device = connect();
  std::vector<std::uint8_t> out(512);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), da::DeviceError);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), da::DeviceError);
  EXPECT_TRUE(device->connected());
  expect_pattern(*device, HwPartition::user, 0, 512);
}

TEST_P(DeviceFault, SlowRepliesStillWork) {
  sim.config.faults.delay = std::chrono::milliseconds(20);
  auto device = connect(fast_timing());
  expect_pattern(*device, HwPartition::user, (1 << 20) - 512, (1 << 20) + 1024);
}

TEST_P(DeviceFault, ByteSizedUnitsStillReadCorrectly) {
  sim.config.faults.units = sim::UnitFault::split;
  auto device = connect();
  // 8 KiB = 8192 one-byte units: enough to cross many packets, small enough for the 2 s chunk bound
  // on a loaded 2-core machine (64 KiB took 1.4-2.1 s there).
  expect_pattern(*device, HwPartition::boot2, 0, 8 * 1024);
}

TEST_P(DeviceFault, MergedUnitsStillReadCorrectly) {
  sim.config.faults.units = sim::UnitFault::merge;
  auto device = connect();
  expect_pattern(*device, HwPartition::user, 0, 3 << 20);
}

TEST_P(DeviceFault, DeviceBackInThePreloaderLosesTheSession) {
  sim.config.faults.reenter_preloader_after = 3;  // 72 at connect, then 60 and D6 of one read
  auto device = connect();
  expect_pattern(*device, HwPartition::user, 0, 512);
  std::vector<std::uint8_t> out(512);
  EXPECT_THROW(device->read(HwPartition::user, 0, out), da::LinkLostError);
}

TEST_P(DeviceFault, PrefixedTrailerIsRecognised) {
  sim.config.trailer = sim::Trailer::prefixed;
  auto device = connect();
  EXPECT_EQ(device->info().trailer.variant, da::TrailerVariant::prefixed);
  expect_pattern(*device, HwPartition::user, 0, 512);
}

TEST_P(DeviceFault, NoNandIdsInTheDa1SyncStillConnects) {
  sim.config.nand_id_count = 0;
  auto device = connect();
  EXPECT_TRUE(device->info().da1.nand_ids.empty());
  expect_pattern(*device, HwPartition::user, 0, 512);
}

TEST_P(DeviceFault, ReadyNoiseWithAndWithoutSwallowStillConnects) {
  sim.config.ready = true;
  sim.config.swallow_first_a0 = GetParam() == Medium::socket;
  auto device = connect();
  expect_pattern(*device, HwPartition::boot1, 0, 512);
}

TEST_P(DeviceFault, UsbSpeedSwitchReconnects) {
  sim.config.speed_switch = true;
  auto device = connect();
  EXPECT_EQ(device->info().usb_speed, 1);
  expect_pattern(*device, HwPartition::user, 0, 1 << 20);
}

TEST_P(DeviceFault, ReadChunksInRandomShortTransfersAndZeroLengthPackets) {
  sim.config.faults.d6_pieces = 0;
  auto device = connect();
  expect_pattern(*device, HwPartition::user, 0, 4 << 20);
  expect_pattern(*device, HwPartition::boot1, 512, (1 << 20) + 4096);
}

INSTANTIATE_TEST_SUITE_P(Media, DeviceFault,
                         ::testing::Values(Medium::socket, Medium::pty, Medium::usb),
                         [](const auto& info) { return medium_name(info.param); });

// Transfer boundaries exist only on USB. Each D6 chunk in transfers of a fixed size, those that end
// on a packet boundary closed by a zero-length packet: the host's queued transfers end early at
// every such place (issue 16: 64 KiB pieces + ZLP cost 195,831 wrong bytes per 1 MiB chunk).
class UsbReadTransferShapes : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(UsbReadTransferShapes, EveryByteArrivesInOrder) {
  SimDevice sim;
  sim.config.faults.d6_pieces = GetParam();
  sim.start(Medium::usb);
  auto device = sim.make_device(fault_timing());
  device->connect();
  std::vector<std::uint8_t> got((3 << 20) + 1536);
  device->read(HwPartition::user, 512, got);
  EXPECT_EQ(first_pattern_error(got, static_cast<std::uint8_t>(HwPartition::user), 512), -1);
}

INSTANTIATE_TEST_SUITE_P(Pieces, UsbReadTransferShapes, ::testing::Values(512, 4000, 16383, 65535, 65536, 200'000),
                         [](const auto& info) { return "Bytes" + std::to_string(info.param); });

// A DA that takes one USB transfer per protocol field and drops the rest of it (the strictest
// receive path the unpublished DA could have): a host that packs several fields into one transfer
// loses bytes and the conversation stalls at the first such message.
class UsbStrictReceiver : public ::testing::Test {
 protected:
  std::unique_ptr<da::Device> connect() {
    sim.config.strict_receiver = true;
    sim.config.strict_config = true;
    sim.start(Medium::usb);
    auto device = sim.make_device(fault_timing());
    device->connect();
    return device;
  }
  void expect_pattern(da::Device& device, HwPartition part, std::uint64_t offset, std::size_t length) {
    std::vector<std::uint8_t> got(length);
    device.read(part, offset, got);
    EXPECT_EQ(first_pattern_error(got, static_cast<std::uint8_t>(part), offset), -1);
  }
  SimDevice sim;
};

TEST_F(UsbStrictReceiver, ReadWriteAndRebootWithOneFieldPerTransfer) {
  auto device = connect();
  expect_pattern(*device, HwPartition::boot1, 0, 4096);
  expect_pattern(*device, HwPartition::user, (1 << 20) - 512, (1 << 20) + 1024);
  std::vector<std::uint8_t> data(64 * 1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  device->write(HwPartition::user, 8 << 20, data);
  std::vector<std::uint8_t> back(data.size());
  device->read(HwPartition::user, 8 << 20, back);
  EXPECT_EQ(back, data);
  EXPECT_NO_THROW(device->close(da::EndMode::reboot));
}

TEST_F(UsbStrictReceiver, SpeedSwitchWithOneFieldPerTransfer) {
  sim.config.speed_switch = true;
  auto device = connect();
  EXPECT_EQ(device->info().usb_speed, 1);
  expect_pattern(*device, HwPartition::user, 0, 1 << 20);
  EXPECT_NO_THROW(device->close(da::EndMode::power_off));
}

}  // namespace
}  // namespace mtkfs::testing
