// (b) Preloader states and commands (docs/protocol/preloader.md §3-§5), over the socket endpoint
// unless USB matters.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

class PreloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.start();
    host = sim.connect();
  }
  void handshake_and_check() {
    handshake(*host);
    host->send({0xFD});
    host->expect({0xFD, 0x85, 0x90, 0x00, 0x00}, "FD after handshake");
  }
  SocketSim sim;
  std::unique_ptr<StreamHost> host;
};

TEST_F(PreloaderTest, FirstA0IsSwallowedAndTheSecondAnswered) {
  host->send({0xA0});
  EXPECT_TRUE(host->silent_for(50ms));  // well inside the 300 ms window it opened
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0A});
  host->expect({0xF5});
  host->send({0x50});
  host->expect({0xAF});
  host->send({0x05});
  host->expect({0xFA});
}

TEST_F(PreloaderTest, MismatchRepliesBytePlusOneAndRestartsAtA0) {
  // Mismatches do not restart the 300 ms window: the whole exchange has to fit in it.
  host->send({0xA0});
  EXPECT_TRUE(host->silent_for(30ms));
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0B});  // 0A expected
  host->expect({0x0C});
  host->send({0x0A});  // now A0 is expected again
  host->expect({0x0B});
  host->send({0xFF});
  host->expect({0x00});  // (b + 1) & 0xFF
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0A});
  host->expect({0xF5});
  host->send({0x50});
  host->expect({0xAF});
  host->send({0x05});
  host->expect({0xFA});
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST_F(PreloaderTest, HandshakeWindowOf300msExpiresBackToListen) {
  host->send({0xA0});
  EXPECT_TRUE(host->silent_for(100ms));
  host->send({0xA0});
  host->expect({0x5F});
  std::this_thread::sleep_for(450ms);
  host->send({0x0A});  // LISTEN ignores garbage: no F5, no 0B
  EXPECT_TRUE(host->silent_for(300ms));
  host->send({0xA0});  // swallowed again: a fresh LISTEN
  EXPECT_TRUE(host->silent_for(50ms));
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0A});
  host->expect({0xF5});
}

TEST_F(PreloaderTest, GarbageBeforeTheHandshakeIsIgnored) {
  host->send({0x12, 0x34, 0x0A});
  EXPECT_TRUE(host->silent_for(200ms));
  handshake_and_check();
}

TEST_F(PreloaderTest, BlVerAnswersOneWithoutEchoAndGetVersionOnlyEchoes) {
  handshake(*host);
  host->send({0xFE});
  host->expect({0x01});
  host->send({0xFF});
  host->expect({0xFF});
  EXPECT_TRUE(host->silent_for(100ms));
  host->send({0xE1});  // unimplemented in this Preloader: echo only
  host->expect({0xE1});
  EXPECT_TRUE(host->silent_for(100ms));
  host->send({0xDB});  // UART1_LOG_EN: echo + status
  host->expect({0xDB, 0x00, 0x00});
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST_F(PreloaderTest, Write32ThenRead32RoundTrip) {
  handshake(*host);
  host->send({0xD4});
  host->expect({0xD4});
  host->send(be32(0x10007000));
  host->expect(be32(0x10007000));
  host->send(be32(2));
  host->expect(cat({be32(2), {0x00, 0x00}}));
  host->send(be32(0x22000064));
  host->expect(be32(0x22000064));
  host->send(be32(0xCAFEF00D));
  host->expect(cat({be32(0xCAFEF00D), {0x00, 0x00}}));
  host->send({0xD1});
  host->expect({0xD1});
  host->send(be32(0x10007000));
  host->expect(be32(0x10007000));
  host->send(be32(3));
  host->expect(cat({be32(3), {0x00, 0x00}, be32(0x22000064), be32(0xCAFEF00D), be32(0), {0x00, 0x00}}));
}

TEST_F(PreloaderTest, Read32ErrorStatusesSkipTheValues) {
  handshake(*host);
  struct Case {
    std::uint32_t address, count;
    Bytes status;
  };
  for (const Case& c : {Case{0x10007002, 1, {0xFF, 0xFF}}, Case{0x10007000, 0, {0xFF, 0xFE}},
                        Case{0xFFFFFFFC, 2, {0xFF, 0xFD}}}) {
    host->send({0xD1});
    host->expect({0xD1});
    host->send(be32(c.address));
    host->expect(be32(c.address));
    host->send(be32(c.count));
    host->expect(cat({be32(c.count), c.status, c.status}), "D1 error: status, then the final status");
    EXPECT_TRUE(host->silent_for(100ms));
  }
}

TEST_F(PreloaderTest, Write32ErrorStatusIsTheOnlyStatus) {
  handshake(*host);
  host->send({0xD4});
  host->expect({0xD4});
  host->send(be32(0x10007001));
  host->expect(be32(0x10007001));
  host->send(be32(1));
  host->expect(cat({be32(1), {0xFF, 0xFF}}));
  EXPECT_TRUE(host->silent_for(100ms));
  // No value is expected: the next byte is a command again.
  host->send({0xFD});
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

TEST_F(PreloaderTest, HwSwVersionAndTargetConfig) {
  handshake(*host);
  host->send({0xFC});
  host->expect({0xFC, 0x8A, 0x00, 0xCB, 0x01, 0x01, 0x02, 0x00, 0x00});
  host->send({0xD8});
  host->expect({0xD8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
}

TEST_F(PreloaderTest, JumpDaWithoutSendDaFailsAndTheDeviceStopsAnswering) {
  handshake(*host);
  host->send({0xD5});
  host->expect({0xD5});
  host->send(be32(0x00200000));
  const Bytes reply = host->receive(6);
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(Bytes(reply.begin(), reply.begin() + 4), be32(0x00200000));
  EXPECT_NE(Bytes(reply.begin() + 4, reply.end()), (Bytes{0x00, 0x00})) << "status must be non-zero";
  host->send({0xFD});
  EXPECT_TRUE(host->silent_for(300ms));
  // A new host session meets a fresh Preloader.
  host = sim.connect();
  handshake_and_check();
}

class PreloaderNoDaFileTest : public PreloaderTest {
 protected:
  void SetUp() override {
    sim.dir.config.da_file.reset();
    PreloaderTest::SetUp();
  }
};

TEST_F(PreloaderNoDaFileTest, SendDaOddLengthChecksumAsInTheSpecExample) {
  handshake(*host);
  host->send({0xD7});
  host->expect({0xD7});
  host->send(be32(0x00200000));
  host->expect(be32(0x00200000));
  host->send(be32(7));
  host->expect(be32(7));
  host->send(be32(0));
  host->expect(cat({be32(0), {0x00, 0x00}}));
  host->send({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
  host->expect({0x07, 0x00, 0x00, 0x00}, "XOR16 07 00, status 0");
  host->send({0xD5});
  host->expect({0xD5});
  host->send(be32(0x00200000));
  host->expect(cat({be32(0x00200000), {0x00, 0x00}, {0xC0}}), "JUMP_DA accepted, DA1 syncs");
}

TEST_F(PreloaderNoDaFileTest, SendDaShorterThanItsSignatureIsRejectedBeforeData) {
  handshake(*host);
  host->send({0xD7});
  host->expect({0xD7});
  host->send(be32(0x00200000));
  host->expect(be32(0x00200000));
  host->send(be32(0x10));
  host->expect(be32(0x10));
  host->send(be32(0x100));
  const Bytes reply = host->receive(6);
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(Bytes(reply.begin(), reply.begin() + 4), be32(0x100));
  EXPECT_NE(Bytes(reply.begin() + 4, reply.end()), (Bytes{0x00, 0x00}));
  host->send({0xFD});  // no data is expected: this is a command again
  host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
}

// SEND_DA up to the final status with `data` as region 1.
Bytes send_da(HostLink& host, const Bytes& data, std::uint32_t sig_len = 0x100) {
  host.send({0xD7});
  host.expect({0xD7});
  host.send(be32(0x00200000));
  host.expect(be32(0x00200000));
  host.send(be32(static_cast<std::uint32_t>(data.size())));
  host.expect(be32(static_cast<std::uint32_t>(data.size())));
  host.send(be32(sig_len));
  host.expect(cat({be32(sig_len), {0x00, 0x00}}));
  host.send(data);
  return host.receive(4);
}

TEST_F(PreloaderTest, StageOneThatDiffersFromTheDaFileGetsItsChecksumAndAFailingStatus) {
  handshake(*host);
  const TestDa other(1);
  const std::uint16_t x = TestDa::xor16(other.stage1);
  const Bytes reply = send_da(*host, other.stage1);
  ASSERT_EQ(reply.size(), 4u);
  EXPECT_EQ(Bytes(reply.begin(), reply.begin() + 2), (Bytes{static_cast<std::uint8_t>(x >> 8), static_cast<std::uint8_t>(x)}));
  EXPECT_NE(Bytes(reply.begin() + 2, reply.end()), (Bytes{0x00, 0x00}));
  host->send({0xD5});
  host->expect({0xD5});
  host->send(be32(0x00200000));
  const Bytes jump = host->receive(6);
  ASSERT_EQ(jump.size(), 6u);
  EXPECT_NE(Bytes(jump.begin() + 4, jump.end()), (Bytes{0x00, 0x00}));
}

TEST_F(PreloaderTest, StageOneOfTheWrongLengthFails) {
  handshake(*host);
  const Bytes shorter(sim.dir.da.stage1.begin(), sim.dir.da.stage1.end() - 2);
  const Bytes reply = send_da(*host, shorter);
  ASSERT_EQ(reply.size(), 4u);
  EXPECT_NE(Bytes(reply.begin() + 2, reply.end()), (Bytes{0x00, 0x00}));
}

TEST_F(PreloaderTest, StageOneWithTheWrongSignatureLengthFails) {
  handshake(*host);
  const Bytes reply = send_da(*host, sim.dir.da.stage1, 0x80);
  ASSERT_EQ(reply.size(), 4u);
  EXPECT_NE(Bytes(reply.begin() + 2, reply.end()), (Bytes{0x00, 0x00}));
}

class PreloaderOddDaTest : public PreloaderTest {
 protected:
  void SetUp() override {
    sim.dir.da = TestDa(0, 0x10FF);
    sim.dir.config.da_file = sim.dir.da.write(sim.dir.temp.path() / "odd_da.bin");
    PreloaderTest::SetUp();
  }
};

TEST_F(PreloaderOddDaTest, OddRegionIsAcceptedAsIsAndPaddedWithOneZero) {
  handshake(*host);
  EXPECT_EQ(send_da(*host, sim.dir.da.stage1), cat({{static_cast<std::uint8_t>(TestDa::xor16(sim.dir.da.stage1) >> 8),
                                                     static_cast<std::uint8_t>(TestDa::xor16(sim.dir.da.stage1))},
                                                    {0x00, 0x00}}));
  Bytes padded = sim.dir.da.stage1;
  padded.push_back(0x00);
  const std::uint16_t x = TestDa::xor16(padded);
  EXPECT_EQ(send_da(*host, padded), (Bytes{static_cast<std::uint8_t>(x >> 8), static_cast<std::uint8_t>(x), 0x00, 0x00}));
  padded.back() = 0x01;  // the pad must be zero
  const Bytes bad = send_da(*host, padded);
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_NE(Bytes(bad.begin() + 2, bad.end()), (Bytes{0x00, 0x00}));
}

TEST(PreloaderUsb, ReadyEvery20msAfterSetLineCodingOnlyAndEachIsItsOwnTransfer) {
  SimDir dir;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  EXPECT_TRUE(host.silent_for(200ms)) << "no READY before SET_LINE_CODING";
  host.set_line_coding();
  Bytes packet;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(host.packet(packet).status, sim::UsbStatus::ok);
    EXPECT_EQ(packet, (Bytes{'R', 'E', 'A', 'D', 'Y'}));
  }
  // Five READYs need at least four poll periods between them.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
}

TEST(PreloaderUsb, SetLineCodingWithoutDataStageAlsoCountsAsToolPresent) {
  SimDir dir;
  sim::UsbDeviceModel model(dir.config);
  UsbHost host(model);
  EXPECT_EQ(model.control_out(0x20, 0x20, 0, 0, {}), sim::UsbStatus::ok);  // the C tool's request
  Bytes packet;
  ASSERT_EQ(host.packet(packet).status, sim::UsbStatus::ok);
  EXPECT_EQ(packet, (Bytes{'R', 'E', 'A', 'D', 'Y'}));
  EXPECT_EQ(model.control_out(0x21, 0x99, 0, 0, {}), sim::UsbStatus::stall);
  EXPECT_EQ(model.control_out(0x41, 0x01, 0, 0, {}), sim::UsbStatus::ok) << "vendor requests are ACKed";
}

TEST(PreloaderStream, ReadyFlagSendsReadyOnConnect) {
  SocketSim sim;
  sim.dir.config.ready = true;
  sim.start();
  auto host = sim.connect();
  EXPECT_EQ(host->receive(10), (Bytes{'R', 'E', 'A', 'D', 'Y', 'R', 'E', 'A', 'D', 'Y'}));
}

TEST(PreloaderStream, NoSwallowAnswersTheVeryFirstA0) {
  SocketSim sim;
  sim.dir.config.swallow_first_a0 = false;
  sim.start();
  auto host = sim.connect();
  host->send({0xA0});
  host->expect({0x5F});
  host->send({0x0A});
  host->expect({0xF5});
  host->send({0x50});
  host->expect({0xAF});
  host->send({0x05});
  host->expect({0xFA});
}

}  // namespace
}  // namespace mtkfs::simtest
