// (d) What a new host finds after the previous one left: fresh Preloader on streams, DA2 on USB.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

void expect_fresh_preloader(HostLink& host) {
  handshake(host);
  host.send({0xFD});
  host.expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST(Sessions, SocketHostCloseInDa2GivesAFreshPreloader) {
  SocketSim sim;
  sim.start();
  for (int run = 0; run < 3; ++run) {
    auto host = sim.connect();
    bring_to_da2(*host, sim.dir.da);
    host->send({0x72});
    host->expect({0x5A, 0x01});
  }
}

TEST(Sessions, SocketHostVanishingMidCommandIsSurvived) {
  SocketSim sim;
  sim.start();
  {
    auto host = sim.connect();
    bring_to_da2(*host, sim.dir.da);
    host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x300000)}));
    host->expect({0x5A});
    host->send(be32(0x100000));
    EXPECT_EQ(host->receive(0x1000).size(), 0x1000u);  // then gone, mid-chunk
  }
  {
    auto host = sim.connect();
    handshake(*host);
    host->send({0xD7});  // gone mid-header
  }
  {
    auto host = sim.connect();
    handshake(*host);
    preloader_to_da(*host, sim.dir.da);
    host->send({0x5A, 0xFF, 0x01});  // gone mid-config
  }
  auto host = sim.connect();
  expect_fresh_preloader(*host);
}

TEST(Sessions, SocketRebootEndsTheSessionAndTheNextHostStartsOver) {
  SocketSim sim;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  host->send({0xDB, 0, 0, 0, 0, 0, 0, 0, 1});
  host->expect({0x5A});
  EXPECT_TRUE(host->closed_within(3s));
  host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
}

TEST(Sessions, KeepStateOnCloseLetsTheNextSocketHostContinueInDa2) {
  SocketSim sim;
  sim.dir.config.reset_on_host_close = false;
  sim.start();
  {
    auto host = sim.connect();
    bring_to_da2(*host, sim.dir.da);
  }
  auto host = sim.connect();
  host->send({0x72});
  host->expect({0x5A, 0x01});
}

TEST(Sessions, OnceStopsAfterTheFirstSession) {
  SocketSim sim;
  sim.dir.config.once = true;
  sim.start();
  {
    auto host = sim.connect();
    handshake(*host);
  }
  sim.server->wait_finished(5s);
  EXPECT_TRUE(sim.server->finished());
}

TEST(Sessions, UsbDa2SurvivesHostClose) {
  SimDir dir;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  model.host_close();
  UsbHost next(model);
  next.send({0x72});
  next.expect_units({{0x5A}, {0x01}}, "same DA2, no handshake");
  EXPECT_EQ(model.enumeration_count(), 1u);
}

TEST(Sessions, UsbMutedDeviceStartsOverWhenTheHostCloses) {
  SimDir dir;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  host.send(cat({{0xD6, 0x42, 0x02}, be64(0), be64(0x200)}));
  EXPECT_TRUE(host.silent_for(300ms));
  model.host_close();
  EXPECT_TRUE(model.wait_enumerated(5s));
  for (int i = 0; i < 200 && model.enumeration_count() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(model.enumeration_count(), 2u);
  UsbHost next(model);
  next.set_line_coding();
  expect_fresh_preloader(next);
}

TEST(Sessions, UsbResetOnCloseOptionRestartsThePreloader) {
  SimDir dir;
  dir.config.reset_on_host_close = true;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  model.host_close();
  for (int i = 0; i < 200 && model.enumeration_count() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(model.wait_enumerated(5s));
  UsbHost next(model);
  next.set_line_coding();
  expect_fresh_preloader(next);
}

TEST(Sessions, UsbRebootComesBackAsFreshPreloader) {
  SimDir dir;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  host.send({0xDB, 0, 0, 0, 0, 0, 0, 1, 0});
  host.expect_unit({0x5A});
  EXPECT_TRUE(model.wait_disconnected(5s));
  Bytes buf(512);
  EXPECT_EQ(model.bulk_in(buf, 10ms).status, sim::UsbStatus::no_device);
  EXPECT_TRUE(model.wait_enumerated(5s));
  UsbHost next(model);
  next.set_line_coding();
  bring_to_da2(next, dir.da);
}

}  // namespace
}  // namespace mtkfs::simtest
