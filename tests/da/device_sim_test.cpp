// da::Device against the simulator over every medium: connect, reads compared byte for byte with
// the image files (pattern mode), writes round-trip, session ends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "da/errors.h"
#include "sim/profile.h"
#include "tests/da/error_matchers.h"
#include "tests/da/sim_fixture.h"

namespace mtkfs::testing {
namespace {

using da::HwPartition;

class DeviceSim : public ::testing::TestWithParam<Medium> {
 protected:
  SimDevice sim;

  // Reads through the device and compares with the image file and the pattern.
  void check_read(da::Device& device, HwPartition part, const std::string& file,
                  std::uint64_t offset, std::size_t length) {
    std::vector<std::uint8_t> got(length);
    device.read(part, offset, got);
    EXPECT_EQ(got, sim.file_bytes(file, offset, length))
        << file << " at " << offset << " length " << length;
    EXPECT_EQ(first_pattern_error(got, static_cast<std::uint8_t>(part), offset), -1)
        << file << " at " << offset;
  }
};

TEST_P(DeviceSim, ConnectReportsTheNwA50) {
  sim.start(GetParam());
  auto device = sim.make_device(da::Timing{});  // the spec's real sleeps, once per medium
  const da::FlashInfo& info = device->connect();
  EXPECT_EQ(info.preloader.hw_code, sim::profile::kHwCode);
  EXPECT_EQ(info.preloader.hw_subcode, sim::profile::kHwSubcode);
  EXPECT_EQ(info.preloader.hw_ver, sim::profile::kHwVer);
  EXPECT_EQ(info.preloader.sw_ver, sim::profile::kSwVer);
  EXPECT_EQ(info.preloader.bl_ver, 0x01);
  EXPECT_EQ(info.da1.version_major, 4);
  EXPECT_EQ(info.da1.version_minor, 2);
  EXPECT_EQ(info.da1.chip_id, 0x91);
  EXPECT_EQ(info.usb_speed, 1);
  EXPECT_EQ(info.report.emmc_boot1_size, 4u << 20);
  EXPECT_EQ(info.report.emmc_boot2_size, 4u << 20);
  EXPECT_EQ(info.report.emmc_rpmb_size, 16u << 20);
  EXPECT_EQ(info.report.emmc_user_size, SimDevice::kUserSize);
  EXPECT_EQ(info.report.ext_ram_size, sim::profile::kExtRamSize);
  EXPECT_TRUE(std::equal(info.report.emmc_cid.begin(), info.report.emmc_cid.end(),
                         std::begin(sim::profile::kCid)));
  EXPECT_EQ(info.trailer.variant, da::TrailerVariant::plain);
  device->close(da::EndMode::stay);
}

TEST_P(DeviceSim, ReadsMatchTheImagesAtFirstLastAndStraddlingSectors) {
  sim.start(GetParam());
  auto device = sim.make_device();
  device->connect();
  const std::uint64_t mib = 1 << 20;
  for (auto [part, file, size] :
       {std::tuple{HwPartition::boot1, "boot1.img", 4 * mib},
        std::tuple{HwPartition::boot2, "boot2.img", 4 * mib},
        std::tuple{HwPartition::user, "user.img", SimDevice::kUserSize}}) {
    check_read(*device, part, file, 0, 512);           // first sector
    check_read(*device, part, file, size - 512, 512);  // last sector
    check_read(*device, part, file, mib - 512, 1024);  // straddles the first 1 MiB chunk
    check_read(*device, part, file, size - 2 * mib - 512, 2 * mib + 512);  // to the very end
  }
  // One D6 over many chunks with a short last chunk.
  check_read(*device, HwPartition::user, "user.img", 3 * mib + 4096, 5 * mib + 1536);
}

TEST_P(DeviceSim, WritesRoundTrip) {
  sim.start(GetParam());
  auto device = sim.make_device();
  device->connect();
  std::vector<std::uint8_t> data((1 << 20) + 3 * 512);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::uint64_t offset = (5 << 20) - 512;
  device->write(HwPartition::user, offset, data);
  std::vector<std::uint8_t> back(data.size());
  device->read(HwPartition::user, offset, back);
  EXPECT_EQ(back, data);
  EXPECT_EQ(sim.file_bytes("user.img", offset, data.size()), data);
  // Neighbours untouched.
  check_read(*device, HwPartition::user, "user.img", offset - 512, 512);
  check_read(*device, HwPartition::user, "user.img", offset + data.size(), 512);

  const std::vector<std::uint8_t> sector(512, 0xA5);
  device->write(HwPartition::boot2, (4 << 20) - 512, sector);
  EXPECT_EQ(sim.file_bytes("boot2.img", (4 << 20) - 512, 512), sector);
}

TEST_P(DeviceSim, RebootEndsTheSessionAndTheDeviceComesBack) {
  sim.start(GetParam());
  auto device = sim.make_device();
  device->connect();
  device->close(da::EndMode::reboot);
  EXPECT_FALSE(device->connected());
  device->connect();  // a fresh Preloader again
  check_read(*device, HwPartition::boot1, "boot1.img", 0, 4096);
}

TEST_P(DeviceSim, RpmbIsRefusedWithoutLosingTheSession) {
  sim.start(GetParam());
  auto device = sim.make_device();
  device->connect();
  std::vector<std::uint8_t> out(512);
  // A refused partition must not lose the session: a DeviceError, not LinkLostError.
  EXPECT_THAT([&] { device->read(HwPartition::rpmb, 0, out); }, ThrowsDeviceErrorKeepingSession(::testing::_));
  check_read(*device, HwPartition::user, "user.img", 0, 512);
}

INSTANTIATE_TEST_SUITE_P(Media, DeviceSim,
                         ::testing::Values(Medium::socket, Medium::pty, Medium::usb),
                         [](const auto& info) { return medium_name(info.param); });

}  // namespace
}  // namespace mtkfs::testing
