// (c) Every fault knob, alone, with the behaviour a host must be able to observe.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

TEST(Faults, CorruptChunkBreaksOnlyThatChunksChecksum) {
  SocketSim sim;
  sim.dir.config.faults.corrupt_chunk = 2;  // counted across commands: 1st D6 has chunks 0,1; 2nd has 2,3
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  EXPECT_EQ(read_d6(*host, 0, 0x400, 0x200), Bytes(0x400, 0));
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x400)}));
  host->expect({0x5A});
  host->send(be32(0x200));
  EXPECT_EQ(host->receive(0x200), Bytes(0x200, 0));
  EXPECT_EQ(host->receive(2), (Bytes{0xFF, 0xFF})) << "sum 0000 corrupted";
  host->send({0x5A});
  EXPECT_EQ(host->receive(0x202), Bytes(0x202, 0)) << "the next chunk is fine again";
  host->send({0x5A});
}

TEST(Faults, CorruptFromBreaksEveryLaterChunk) {
  SocketSim sim;
  sim.dir.config.faults.corrupt_from_chunk = 1;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0)) << "chunk 0 is still fine";
  for (int command = 0; command < 3; ++command) {
    host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x400)}));
    host->expect({0x5A});
    host->send(be32(0x200));
    for (int chunk = 0; chunk < 2; ++chunk) {
      EXPECT_EQ(host->receive(0x200), Bytes(0x200, 0));
      EXPECT_EQ(host->receive(2), (Bytes{0xFF, 0xFF})) << "command " << command << " chunk " << chunk;
      host->send({0x5A});
    }
  }
  host->send({0x72});
  host->expect({0x5A, 0x01}, "the session stays usable");
}

TEST(Faults, NackSkipLetsTheFirstCommandsThrough) {
  SocketSim sim;
  sim.dir.config.faults.nack_command = 0xD6;
  sim.dir.config.faults.nack_skip = 2;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0));
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0));
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x200)}));
  host->expect({0xA5}, "the third D6 is NACKed");
  EXPECT_TRUE(host->silent_for(300ms));
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0)) << "one NACK only";
}

TEST(Faults, DropAfterClosesTheLinkAfterExactlyThatManyDeviceBytes) {
  SocketSim sim;
  sim.dir.config.faults.drop_after_bytes = 3;
  sim.start();
  auto host = sim.connect();
  host->send({0xA0});
  EXPECT_TRUE(host->silent_for(50ms));
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0A});
  host->expect({0xF5});
  host->send({0x50});
  host->expect({0xAF});
  EXPECT_TRUE(host->closed_within(2s));
  // The fault fires once; the next session is a fresh, healthy Preloader.
  host = sim.connect();
  handshake(*host);
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST(Faults, DropAfterMidChunkOverUsbDisconnects) {
  SimDir dir;
  dir.config.faults.drop_after_bytes = 100000;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  bring_to_da2(host, dir.da);
  host.send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x100000)}));
  host.expect_unit({0x5A});
  host.send(be32(0x100000));
  const Bytes got = host.receive(0x100002, 3s);
  EXPECT_LT(got.size(), 0x100000u);
  EXPECT_TRUE(model.wait_enumerated(5s));
  EXPECT_EQ(model.enumeration_count(), 2u);
  host.set_line_coding();
  handshake(host);
}

TEST(Faults, NackCommandAndCount) {
  SocketSim sim;
  sim.dir.config.faults.nack_command = 0xD6;
  sim.dir.config.faults.nack_count = 2;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  for (int i = 0; i < 2; ++i) {
    host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x200)}));
    host->expect({0xA5}, "injected NACK");
    EXPECT_TRUE(host->silent_for(300ms));
  }
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0));
}

TEST(Faults, NackOfSwitchPartAndWrite) {
  for (const std::uint8_t cmd : {0x60, 0x62, 0x72}) {
    SocketSim sim;
    sim.dir.config.faults.nack_command = cmd;
    sim.start();
    auto host = sim.connect();
    bring_to_da2(*host, sim.dir.da);
    if (cmd == 0x62) host->send(cat({{0x62, 0x02, 0x08}, be64(0), be64(0x200), be32(0x100000)}));
    else host->send({cmd});
    host->expect({0xA5});
    host->send({0x72});
    host->expect({0x5A, 0x01});
  }
}

TEST(Faults, DelayHoldsBackEveryReply) {
  SocketSim sim;
  sim.dir.config.faults.delay = 150ms;
  sim.start();
  auto host = sim.connect();
  handshake(*host);
  const auto start = std::chrono::steady_clock::now();
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(Faults, SplitSendsOneByteUnits) {
  SimDir dir;
  dir.config.faults.units = sim::UnitFault::split;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  handshake(host);
  host.send({0xFD});
  host.expect_units({{0xFD}, {0x85}, {0x90}, {0x00}, {0x00}}, "one packet per byte");
}

TEST(Faults, MergeSendsEverythingQueuedAsOnePacket) {
  SimDir dir;
  dir.config.faults.units = sim::UnitFault::merge;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  handshake(host);
  host.send({0xFC});
  host.expect_unit({0xFC, 0x8A, 0x00, 0xCB, 0x01, 0x01, 0x02, 0x00, 0x00});
  host.units_as_stream = true;
  preloader_to_da(host, dir.da);  // its D5 reply already shares a packet with the DA1 sync
  host.expect(cat({{0xC0, 0x00, 0x00, 0x0B, 0xC4, 0x00, 0x07}, Bytes(14, 0), Bytes(4, 0), emmc_cid()}), "sync");
  host.units_as_stream = false;
  host.send({0x5A});
  host.expect_unit({0x04, 0x02, 0x91}, "the three version bytes as one packet");
  host.send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00});
  host.expect_unit({0x00, 0x00, 0x00, 0x00});
  host.send({0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00});
  host.expect_unit({0x5A});
  for (std::size_t off = 0; off < 0x2100; off += 0x1000) {
    host.send(Bytes(dir.da.stage2.begin() + static_cast<std::ptrdiff_t>(off),
                    dir.da.stage2.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(off + 0x1000, 0x2100))));
    host.expect_unit({0x5A});
  }
  host.send({0x5A});
  Bytes all = {0x5A};
  for (const Bytes& u : report_units(4 << 20, 4 << 20, 16 << 20, kTestUserSize)) all.insert(all.end(), u.begin(), u.end());
  all.insert(all.end(), kPlainTrailer.begin(), kPlainTrailer.end());
  host.expect_unit(all, "ACK, report and trailer as one 237-byte packet");
  // A chunk leaves as whole packets; its short rest merges with the checksum.
  host.send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x300)}));
  host.expect_unit({0x5A});
  host.send(be32(0x100000));
  Bytes first(512);
  ASSERT_EQ(model.bulk_in(first, 5s).status, sim::UsbStatus::ok);
  Bytes rest;
  ASSERT_EQ(host.packet(rest).status, sim::UsbStatus::ok);
  EXPECT_EQ(rest, Bytes(0x100 + 2, 0)) << "the rest of the data merged with its checksum";
}

TEST(Faults, ReenterPreloaderAfterNCommands) {
  SocketSim sim;
  sim.dir.config.faults.reenter_preloader_after = 2;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  host->send({0x72});
  host->expect({0x5A, 0x01});
  host->send({0x72});
  host->expect({0x5A, 0x01});
  host->send({0x72});
  EXPECT_TRUE(host->silent_for(300ms)) << "a fresh Preloader in LISTEN ignores it";
  handshake(*host);
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST(Faults, FaultsCombine) {
  SimDir dir;
  dir.config.faults.units = sim::UnitFault::split;
  dir.config.faults.corrupt_chunk = 0;
  dir.config.faults.delay = 20ms;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  host.units_as_stream = true;
  bring_to_da2(host, dir.da);
  host.units_as_stream = false;
  host.send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(2)}));
  host.expect_unit({0x5A});
  host.send(be32(0x100000));
  host.expect_units({{0x00}, {0x00}, {0xFF}, {0xFF}}, "split data and corrupted checksum");
}

TEST(LinkModel, Usb2HsThrottlesToAbout40MBps) {
  SocketSim sim;
  sim.dir.config.link_model = sim::LinkModel::usb2_hs;
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_d6(*host, 0, 4 << 20).size(), 4u << 20);
  // 4 MiB at 40 MB/s is 105 ms; the model must not be faster than that.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(Trace, LogsBothDirectionsWithLargeDataTruncated) {
  SocketSim sim;
  sim.dir.config.trace_path = sim.dir.temp.path() / "trace.txt";
  sim.start();
  auto host = sim.connect();
  bring_to_da2(*host, sim.dir.da);
  EXPECT_EQ(read_d6(*host, 0, 0x100000).size(), 0x100000u);
  host->send({0x72});
  host->expect({0x5A, 0x01});
  std::stringstream text;
  text << std::ifstream(*sim.dir.config.trace_path).rdbuf();
  const std::string t = text.str();
  EXPECT_NE(t.find("H>D PL command 1: fd"), std::string::npos) << t.substr(0, 2000);
  EXPECT_NE(t.find("D>H hw code 2: 85 90"), std::string::npos);
  EXPECT_NE(t.find("H>D D6 header 18: 0c 02"), std::string::npos);
  EXPECT_NE(t.find("D>H D6 data 1048576: 00 00"), std::string::npos);
  EXPECT_NE(t.find("... (1048576 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace mtkfs::simtest
