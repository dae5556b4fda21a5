// The knobs the reconnect tests need (issue 14): a drop that comes back after a set time off the bus,
// drops at several points, and a device that reports another CID.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kReturnAfter = 400ms;
// The host sees the drop a moment after the device left; the device must not be back earlier than this.
constexpr auto kEarlyTolerance = 50ms;

// A0 until 5F (docs/protocol/preloader.md §3.3): the first A0, and any sent with it, are swallowed
// without a reply, so the device's only byte is the one 5F.
void sync(HostLink& host) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    host.send({0xA0});
    if (host.receive(1, 150ms) == Bytes{0x5F}) return;
  }
  FAIL() << "no 5F";
}

// The handshake step by step from LISTEN: the device's replies are 5F F5 AF (then FA), one byte each.
void handshake_steps(HostLink& host) {
  sync(host);
  host.send({0x0A});
  host.expect({0xF5});
  host.send({0x50});
  host.expect({0xAF});
}

// Connects until a connection stays open, i.e. the device is back on the socket (nullptr after 5 s).
std::unique_ptr<StreamHost> connect_when_back(const SocketSim& sim) {
  const auto start = Clock::now();
  for (;;) {
    auto host = sim.connect();
    if (!host->closed_within(30ms)) return host;
    if (Clock::now() - start > 5s) return nullptr;
    std::this_thread::sleep_for(5ms);
  }
}

Bytes cid_with_serial_plus(std::uint32_t n) {
  Bytes cid = emmc_cid();
  std::uint32_t psn = static_cast<std::uint32_t>(cid[10] << 24 | cid[11] << 16 | cid[12] << 8 | cid[13]) + n;
  for (int i = 13; i >= 10; --i, psn >>= 8) cid[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(psn);
  return cid;
}

TEST(DropFaults, SocketDeviceStaysOffForTheReturnTimeThenIsAFreshPreloader) {
  SocketSim sim;
  sim.dir.config.faults.drop_after_bytes = 3;
  sim.dir.config.faults.drop_return_after = kReturnAfter;
  sim.start();
  auto host = sim.connect();
  handshake_steps(*host);
  ASSERT_TRUE(host->closed_within(2s));
  const auto dropped = Clock::now();
  // While off, a connection is accepted and closed at once, without a byte.
  auto early = sim.connect();
  EXPECT_TRUE(early->closed_within(200ms)) << "a connection while off the bus is closed";
  host = connect_when_back(sim);
  ASSERT_NE(host, nullptr) << "the device never came back";
  const auto off = Clock::now() - dropped;
  EXPECT_GE(off, kReturnAfter - kEarlyTolerance) << "back too early";
  EXPECT_LT(off, kReturnAfter + 1s) << "back too late";
  handshake(*host);
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00}, "a fresh, healthy Preloader");
}

TEST(DropFaults, UsbModelIsOffTheBusForTheReturnTime) {
  SimDir dir;
  dir.config.ready = false;  // no READY strings: the device bytes are the handshake replies only
  dir.config.faults.drop_after_bytes = 3;
  dir.config.faults.drop_return_after = kReturnAfter;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  host.set_line_coding();
  handshake_steps(host);
  ASSERT_TRUE(model.wait_disconnected(2s));
  const auto dropped = Clock::now();
  EXPECT_FALSE(model.wait_enumerated(kReturnAfter - 100ms)) << "back on the bus too early";
  Bytes buf(512);
  EXPECT_EQ(model.bulk_in(buf, 10ms).status, sim::UsbStatus::no_device);
  ASSERT_TRUE(model.wait_enumerated(2s));
  const auto off = Clock::now() - dropped;
  EXPECT_GE(off, kReturnAfter - kEarlyTolerance);
  EXPECT_LT(off, kReturnAfter + 1s);
  EXPECT_EQ(model.enumeration_count(), 2u);
  EXPECT_EQ(model.product_id(), 0x2000) << "back as the Preloader";
  host.set_line_coding();
  handshake(host);
  host.send({0xFD});
  host.expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST(DropFaults, PtyHasNoSlaveWhileOff) {
  SimDir dir;
  dir.config.faults.drop_after_bytes = 3;
  dir.config.faults.drop_return_after = kReturnAfter;
  const auto link = dir.temp.path() / "ttyACM";
  sim::PtyServer server(dir.config, link);
  auto host = StreamHost::open_tty(link.string());
  sync(*host);
  host->send({0x0A});
  host->expect({0xF5});
  host->send({0x50});  // AF is the third byte: it may be lost with the hang-up (sim/README.md #53)
  // The old slave is gone: reads end (EOF/EIO) and the link is removed while off.
  ASSERT_TRUE(host->closed_within(2s));
  const auto dropped = Clock::now();
  host.reset();
  std::this_thread::sleep_for(kReturnAfter / 2);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link))) << "no port while off";
  EXPECT_EQ(server.generation(), 1u);
  while (server.generation() < 2 && Clock::now() - dropped < 3s) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server.generation(), 2u);
  EXPECT_GE(Clock::now() - dropped, kReturnAfter - kEarlyTolerance);
  host = StreamHost::open_tty(link.string());
  handshake(*host);
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST(DropFaults, RepeatedDropsHappenAtEachPoint) {
  SocketSim sim;
  // Session 1 drops after 5F F5 AF (3), session 2 after 5F F5 (5), session 3 after 5F F5 AF FA (9).
  sim.dir.config.faults.drop_after_bytes = 3;
  sim.dir.config.faults.drop_again_after_bytes = {5, 9};
  sim.start();

  auto host = sim.connect();
  handshake_steps(*host);
  EXPECT_TRUE(host->closed_within(2s)) << "drop 1";

  host = sim.connect();
  sync(*host);
  host->send({0x0A});
  host->expect({0xF5});
  EXPECT_TRUE(host->closed_within(2s)) << "drop 2, before the third reply";

  host = sim.connect();
  handshake_steps(*host);
  host->send({0x05});
  host->expect({0xFA});
  EXPECT_TRUE(host->closed_within(2s)) << "drop 3";

  host = sim.connect();
  handshake(*host);
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00}, "no more drops");
  EXPECT_TRUE(host->silent_for(100ms));
}

TEST(DropFaults, CidKnobChangesTheReportedCid) {
  SocketSim sim;
  const Bytes other = {0x15, 0x01, 0x00, 0x42, 0x4A, 0x54, 0x44, 0x34, 0x52, 0x11, 0xCA, 0xFE, 0xF0, 0x0D, 0x88, 0x01};
  std::array<std::uint8_t, 16> cid{};
  std::copy(other.begin(), other.end(), cid.begin());
  sim.dir.config.cid = cid;
  sim.start();
  auto host = sim.connect();
  handshake(*host);
  preloader_to_da(*host, sim.dir.da);
  da1_to_stage2_ack(*host, sim.dir.da, 7, 0x02, other);  // the DA1 sync carries it ...
  expect_report(*host, kTestUserSize, other);            // ... and so does the stage-2 report
  EXPECT_EQ(read_d6(*host, 0, 0x200), Bytes(0x200, 0)) << "the images are the same";
}

TEST(DropFaults, ReturnAsOtherDeviceReportsAnotherCidAfterEachDrop) {
  SocketSim sim;
  sim.dir.config.faults.drop_after_bytes = 3;
  sim.dir.config.faults.drop_again_after_bytes = {6};
  sim.dir.config.faults.return_as_other_device = true;
  sim.start();
  auto host = sim.connect();
  handshake_steps(*host);
  ASSERT_TRUE(host->closed_within(2s));
  host = sim.connect();
  handshake_steps(*host);
  ASSERT_TRUE(host->closed_within(2s));
  host = sim.connect();
  handshake(*host);
  preloader_to_da(*host, sim.dir.da);
  const Bytes cid = cid_with_serial_plus(2);
  EXPECT_NE(cid, emmc_cid());
  da1_to_stage2_ack(*host, sim.dir.da, 7, 0x02, cid);
  expect_report(*host, kTestUserSize, cid);
}

}  // namespace
}  // namespace mtkfs::simtest
