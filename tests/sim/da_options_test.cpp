// (b) DA behaviour behind profile options: speed switch, trailer variant B, RPMB, alignment.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

TEST(DaSpeedSwitch, SeventyOneReenumeratesAsTheDaPortAndDa2KeepsRunning) {
  SimDir dir;
  dir.config.speed_switch = true;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  host.send({0x72});
  host.expect_units({{0x5A}, {0x00}}, "full speed before the switch");
  host.send({0x70, 0x01});
  host.expect_unit({0x5A}, "70 01");
  EXPECT_TRUE(model.wait_disconnected(5s));
  EXPECT_TRUE(model.wait_enumerated(5s));
  EXPECT_EQ(model.product_id(), 0x2001);
  host.send({0x72});
  host.expect_units({{0x5A}, {0x01}}, "high speed after the switch");
}

TEST(DaSpeedSwitch, OverASocketTheNextConnectionFindsDa2) {
  SocketSim sim;
  sim.dir.config.speed_switch = true;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  host->send({0x72});
  host->expect({0x5A, 0x00});
  host->send({0x70, 0x01});
  host->expect({0x5A});
  EXPECT_TRUE(host->closed_within(3s));
  host = sim.connect();
  host->send({0x72});
  host->expect({0x5A, 0x01});
}

TEST(DaTrailer, PrefixedTrailerIsOneFourteenByteUnit) {
  SimDir dir;
  dir.config.trailer = sim::Trailer::prefixed;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  handshake(host);
  preloader_to_da(host, dir.da);
  da1_to_stage2_ack(host, dir.da);
  for (const Bytes& u : report_units(4 << 20, 4 << 20, 16 << 20, kTestUserSize)) host.expect_unit(u);
  host.expect_unit({0x00, 0x00, 0x00, 0x00, 0x5A, 0, 0, 0, 0, 0, 0, 0, 0, 0xC1}, "variant B");
}

TEST(DaRpmb, AllowRpmbMakesPartitionThreeReadableAndWritable) {
  SocketSim sim;
  sim.dir.config.allow_rpmb = true;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  select_partition(*host, 0x03);
  const Bytes sector = pattern(0x200, 0x77);
  const std::uint16_t s = sum16(sector);
  host->send(cat({{0x62, 0x02, 0x03}, be64(0xFFFE00), be64(0x200), be32(0x100000)}));
  host->expect({0x5A});
  host->send(cat({{0x5A}, sector, {static_cast<std::uint8_t>(s >> 8), static_cast<std::uint8_t>(s)}}));
  host->expect({0x69});
  EXPECT_EQ(read_d6(*host, 0xFFFE00, 0x200), sector);
}

TEST(DaAlignment, RequireAlignedNacksUnalignedRanges) {
  SocketSim sim;
  sim.dir.config.require_aligned = true;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0x100), be64(0x200)}));
  host->expect({0xA5});
  EXPECT_TRUE(host->silent_for(300ms));
  EXPECT_EQ(read_d6(*host, 0x200, 0x200), Bytes(0x200, 0));
}

}  // namespace
}  // namespace mtkfs::simtest
