// (b) DA1 and DA2 states and commands (docs/protocol/legacy-da.md §2-§13), mostly over the socket
// endpoint.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

class DaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(sim.dir.config.dir);
    write_region(sim.dir.config.dir, "boot1.img", 4 << 20, 0, boot1);
    write_region(sim.dir.config.dir, "boot2.img", 4 << 20, 0, boot2);
    write_region(sim.dir.config.dir, "user.img", kTestUserSize, 0x100000, user);
    configure();
    sim.start();
    host = sim.connect();
  }
  virtual void configure() {}
  void to_da2() { bring_to_da2(*host, sim.dir.da); }
  void expect_alive() {
    host->send({0x72});
    host->expect({0x5A, 0x01}, "72 still answered");
  }
  void expect_fresh_preloader() {
    host = sim.connect();
    handshake(*host);
    host->send({0xFD});
    host->expect({0xFD, 0x85, 0x90, 0x00, 0x00});
  }

  const Bytes boot1 = pattern(0x4000, 1);
  const Bytes boot2 = pattern(0x4000, 2);
  const Bytes user = pattern(0x10000, 8);
  SocketSim sim;
  std::unique_ptr<StreamHost> host;
};

TEST_F(DaTest, ReadsBoot1Boot2AndUserInSeveralChunks) {
  to_da2();
  select_partition(*host, 0x01);
  EXPECT_EQ(read_d6(*host, 0x200, 0x600, 0x200), Bytes(boot1.begin() + 0x200, boot1.begin() + 0x800));
  select_partition(*host, 0x02);
  EXPECT_EQ(read_d6(*host, 0, 0x1000), Bytes(boot2.begin(), boot2.begin() + 0x1000));
  select_partition(*host, 0x08);
  EXPECT_EQ(read_d6(*host, 0x100000, 0x10000, 0x3000), user);
  // Unaligned ranges are accepted by default (docs/protocol/legacy-da.md §9).
  EXPECT_EQ(read_d6(*host, 0x100011, 0x1234, 0x1000), Bytes(user.begin() + 0x11, user.begin() + 0x11 + 0x1234));
  expect_alive();
}

TEST_F(DaTest, ReadOfTheLastSectorsOfEachPartitionAndNotOneByteMore) {
  to_da2();
  select_partition(*host, 0x08);
  EXPECT_EQ(read_d6(*host, kTestUserSize - 0x200, 0x200), Bytes(0x200, 0));
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(kTestUserSize - 0x200), be64(0x201)}));
  host->expect({0xA5}, "one byte past the end");
  EXPECT_TRUE(host->silent_for(400ms));
  expect_alive();
}

TEST_F(DaTest, InvalidReadRangeWithTheCToolsOrderIsNackedAndTheLoopContinues) {
  to_da2();
  select_partition(*host, 0x01);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0x3FFE00), be64(0x400)}));
  host->expect({0xA5});
  EXPECT_TRUE(host->silent_for(400ms)) << "no error code unless the host sends A5";
  expect_alive();
}

TEST_F(DaTest, InvalidReadRangeWithMtkclientsOrderSendsTheErrorCodeAfterHostNack) {
  to_da2();
  select_partition(*host, 0x01);
  // mtkclient: header and packet size before reading the ACK, then A5 and a 4-byte LE error read.
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x400001), be32(0x100000)}));
  host->expect({0xA5});
  host->send({0xA5});
  host->expect({0xE0, 0x0B, 0x00, 0x00}, "S_DA_INVALID_RANGE little-endian");
  expect_alive();
}

TEST_F(DaTest, ZeroLengthReadAndWrongStorageByteAreNacked) {
  to_da2();
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0)}));
  host->expect({0xA5});
  EXPECT_TRUE(host->silent_for(300ms));
  host->send(cat({{0xD6, 0x0C, 0x01}, be64(0), be64(0x200)}));
  host->expect({0xA5});
  EXPECT_TRUE(host->silent_for(300ms));
  expect_alive();
}

TEST_F(DaTest, HostNackAfterAChunkAbortsTheRead) {
  to_da2();
  select_partition(*host, 0x08);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0x100000), be64(0x400)}));
  host->expect({0x5A});
  host->send(be32(0x200));
  EXPECT_EQ(host->receive(0x202).size(), 0x202u);
  host->send({0xA5});
  EXPECT_TRUE(host->silent_for(200ms));
  expect_alive();
}

TEST_F(DaTest, WriteLandsInTheFileWithEitherStorageByte) {
  to_da2();
  const Bytes data = pattern(0x600, 0x44);
  for (const std::uint8_t storage : {0x02, 0x01}) {
    const std::uint64_t at = storage == 0x02 ? 0x20000 : 0x40000;
    host->send(cat({{0x62, storage, 0x08}, be64(at), be64(0x600), be32(0x400)}));
    host->expect({0x5A}, "62 ACK");
    for (std::size_t off = 0; off < 0x600; off += 0x400) {
      const Bytes part(data.begin() + static_cast<std::ptrdiff_t>(off),
                       data.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(off + 0x400, 0x600)));
      const std::uint16_t s = sum16(part);
      host->send(cat({{0x5A}, part, {static_cast<std::uint8_t>(s >> 8), static_cast<std::uint8_t>(s)}}));
      host->expect({0x69});
    }
    EXPECT_EQ(read_file_range(sim.dir.image("user.img"), at, 0x600), data);
  }
  // A write to boot2 needs no 60 (the command carries its partition id).
  host->send(cat({{0x62, 0x02, 0x02}, be64(0x200), be64(0x200), be32(0x100000)}));
  host->expect({0x5A});
  const Bytes sector = pattern(0x200, 0x55);
  const std::uint16_t s = sum16(sector);
  host->send(cat({{0x5A}, sector, {static_cast<std::uint8_t>(s >> 8), static_cast<std::uint8_t>(s)}}));
  host->expect({0x69});
  EXPECT_EQ(read_file_range(sim.dir.image("boot2.img"), 0x200, 0x200), sector);
  expect_alive();
}

TEST_F(DaTest, WriteChecksumMismatchIsNackedAndNothingIsWritten) {
  to_da2();
  const Bytes sector = pattern(0x200, 0x66);
  const std::uint16_t bad = static_cast<std::uint16_t>(sum16(sector) + 1);
  host->send(cat({{0x62, 0x02, 0x08}, be64(0x1000), be64(0x200), be32(0x100000)}));
  host->expect({0x5A});
  host->send(cat({{0x5A}, sector, {static_cast<std::uint8_t>(bad >> 8), static_cast<std::uint8_t>(bad)}}));
  host->expect({0xA5});
  EXPECT_EQ(read_file_range(sim.dir.image("user.img"), 0x1000, 0x200), Bytes(0x200, 0));
  expect_alive();
}

TEST_F(DaTest, WriteToAMissingOrOutOfRangePartitionIsNacked) {
  to_da2();
  for (const Bytes& header : {cat({{0x62, 0x02, 0x04}, be64(0), be64(0x200), be32(0x100000)}),
                              cat({{0x62, 0x02, 0x03}, be64(0), be64(0x200), be32(0x100000)}),
                              cat({{0x62, 0x02, 0x08}, be64(kTestUserSize), be64(0x200), be32(0x100000)}),
                              cat({{0x62, 0x03, 0x08}, be64(0), be64(0x200), be32(0x100000)})}) {
    host->send(header);
    host->expect({0xA5});
  }
  expect_alive();
}

TEST_F(DaTest, PartitionSelectionRules) {
  to_da2();
  for (const std::uint8_t id : {0x01, 0x02, 0x08}) select_partition(*host, id);
  for (const std::uint8_t id : {0x00, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0xFF}) {
    host->send({0x60});
    host->expect({0x5A});
    host->send({id});
    host->expect({0xA5}, "partition id NACK");
  }
  expect_alive();
}

TEST_F(DaTest, UnknownCommandGetsBbAndTheLoopContinues) {
  to_da2();
  host->send({0x51});
  host->expect({0xBB});
  host->send({0xE8});
  host->expect({0xBB});
  expect_alive();
}

TEST_F(DaTest, UnexpectedByteMutesTheDeviceUntilTheHostLeaves) {
  to_da2();
  host->send(cat({{0xD6, 0x99, 0x02}, be64(0), be64(0x200)}));  // host-OS byte 0x99
  EXPECT_TRUE(host->silent_for(300ms));
  host->send({0x72});
  EXPECT_TRUE(host->silent_for(300ms)) << "a muted device answers nothing";
  expect_fresh_preloader();
}

TEST_F(DaTest, UnexpectedChunkAckMutesTheDevice) {
  to_da2();
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x200)}));
  host->expect({0x5A});
  host->send(be32(0x100000));
  EXPECT_EQ(host->receive(0x202).size(), 0x202u);
  host->send({0x72});  // not 5A/A5
  EXPECT_TRUE(host->silent_for(300ms));
  expect_fresh_preloader();
}

TEST_F(DaTest, PmtIsEmptyWithoutATableOnDisk) {
  to_da2();
  host->send({0xA5});
  host->expect({0x5A, 0x00, 0x00, 0x00, 0x00});
  host->send({0x5A});
  EXPECT_TRUE(host->silent_for(100ms));
  host->send({0x5A});
  expect_alive();
}

TEST_F(DaTest, FinishAcksTwiceAndPowersOff) {
  to_da2();
  host->send({0xD9});
  host->expect({0x5A});
  host->send(be32(0));
  host->expect({0x5A});
  EXPECT_TRUE(host->closed_within(2s));
  expect_fresh_preloader();
}

TEST_F(DaTest, RebootClosesTheLinkAndAFreshPreloaderFollows) {
  to_da2();
  host->send({0xDB, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x01, 0x00});  // 100 ms, dl_bit 1
  host->expect({0x5A});
  EXPECT_TRUE(host->closed_within(3s));
  expect_fresh_preloader();
}

class DaPmtTest : public DaTest {
  void configure() override {
    Bytes table(0x1000, 0);
    const Bytes head = {0x31, 0x76, 0x54, 0x50, '1', '.', '1', 0};
    std::copy(head.begin(), head.end(), table.begin());
    for (int r = 0; r < 2; ++r) {
      const std::size_t at = 8 + 0x58 * r;
      const std::string name = r == 0 ? "mbr" : "ebr1";
      std::copy(name.begin(), name.end(), table.begin() + static_cast<std::ptrdiff_t>(at));
      table[at + 64 + 2] = 0x08;                      // size 0x80000 LE
      if (r == 1) table[at + 72 + 2] = 0x08;          // offset 0x80000 LE
    }
    records.assign(table.begin() + 8, table.begin() + 8 + 2 * 0x58);
    write_region(sim.dir.config.dir, "user.img", kTestUserSize, kTestUserSize - 0x100000, table);
  }

 protected:
  Bytes records;
};

TEST_F(DaPmtTest, PmtRecordsComeFromTheTableAtUserSizeMinusOneMiB) {
  to_da2();
  host->send({0xA5});
  host->expect({0x5A, 0x00, 0x00, 0x00, 0xB0});
  host->send({0x5A});
  host->expect(records);
  host->send({0x5A});
  expect_alive();
}

class DaStrictConfigTest : public DaTest {
  void configure() override { sim.dir.config.strict_config = true; }
};

void send_to_stage2_config(HostLink& host, const TestDa& da) {
  handshake(host);
  preloader_to_da(host, da);
  EXPECT_EQ(host.receive(41).size(), 41u);
  host.send({0x5A});
  host.expect({0x04, 0x02, 0x91});
}

TEST_F(DaStrictConfigTest, StrictModeChecksEveryConfigByte) {
  send_to_stage2_config(*host, sim.dir.da);
  // nand_acccon 7007FFFE instead of 7007FFFF
  host->send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFE, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00});
  EXPECT_TRUE(host->silent_for(300ms));
}

TEST_F(DaTest, LenientModeAcceptsOtherConfigBytesButNotAnyForceCharge) {
  send_to_stage2_config(*host, sim.dir.da);
  host->send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFE, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00});
  host->expect({0x00, 0x00, 0x00, 0x00});
  host = sim.connect();
  send_to_stage2_config(*host, sim.dir.da);
  host->send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x00});
  EXPECT_TRUE(host->silent_for(300ms)) << "force_charge 03 is not a value any host sends";
}

TEST_F(DaTest, MtkclientForceChargeOneIsAccepted) {
  handshake(*host);
  preloader_to_da(*host, sim.dir.da);
  da1_to_stage2_ack(*host, sim.dir.da, 7, 0x01);
  expect_report(*host, kTestUserSize);
  expect_alive();
}

TEST_F(DaTest, StageTwoThatDiffersFromTheDaFileIsNackedAtTheFinalAck) {
  handshake(*host);
  preloader_to_da(*host, sim.dir.da);
  EXPECT_EQ(host->receive(41).size(), 41u);
  host->send({0x5A});
  host->expect({0x04, 0x02, 0x91});
  host->send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00});
  host->expect({0x00, 0x00, 0x00, 0x00});
  host->send({0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00});
  host->expect({0x5A});
  const TestDa other(9);
  for (std::size_t off = 0; off < other.stage2.size(); off += 0x1000) {
    host->send(Bytes(other.stage2.begin() + static_cast<std::ptrdiff_t>(off),
                     other.stage2.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(off + 0x1000, other.stage2.size()))));
    host->expect({0x5A});
  }
  host->send({0x5A});
  host->expect({0xA5});
  host->send({0x72});
  EXPECT_TRUE(host->silent_for(300ms));
}

TEST_F(DaTest, StageTwoHeaderWithTheWrongLengthIsNacked) {
  handshake(*host);
  preloader_to_da(*host, sim.dir.da);
  EXPECT_EQ(host->receive(41).size(), 41u);
  host->send({0x5A});
  host->expect({0x04, 0x02, 0x91});
  host->send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00});
  host->expect({0x00, 0x00, 0x00, 0x00});
  host->send({0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00});
  host->expect({0xA5});
}

class DaNoDaFileTest : public DaTest {
  void configure() override {
    sim.dir.config.da_file.reset();
    sim.dir.config.nand_id_count = 0;
  }
};

TEST_F(DaNoDaFileTest, AnyStructurallyValidUploadIsAcceptedAndNandCountZeroIsSelectable) {
  handshake(*host);
  const TestDa other(5);
  preloader_to_da(*host, other);
  da1_to_stage2_ack(*host, other, 0);
  expect_report(*host, kTestUserSize);
  expect_alive();
}

}  // namespace
}  // namespace mtkfs::simtest
