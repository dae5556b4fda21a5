// The real mtkfs-sim program, started through tests/support/sim_process.h.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "sim/da_file.h"
#include "sim_fixture.h"
#include "tests/support/program_paths.h"
#include "tests/support/sim_process.h"

namespace mtkfs::simtest {
namespace {

using testing::SimProcess;

// Every test here needs the program; without it a "rejects" test would pass vacuously.
class Program : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(testing::mtkfs_sim_program()))
        << testing::mtkfs_sim_program() << " does not exist (build mtkfs-sim, or set MTKFS_SIM_BIN)";
  }
};

TEST_F(Program, ServesOnASocketAcrossSessionsAndStopsOnSigterm) {
  SimDir dir;
  SimProcess sim({"--dir", dir.config.dir.string(), "--user-size", "8M", "--socket", dir.socket().string(), "--da",
                  dir.config.da_file->string()});
  EXPECT_EQ(sim.socket_path(), dir.socket().string());
  for (int run = 0; run < 2; ++run) {
    auto host = StreamHost::connect(sim.socket_path());
    bring_to_da2(*host, dir.da);
    select_partition(*host, 0x01);
    EXPECT_EQ(read_d6(*host, 0, 0x1000), Bytes(0x1000, 0));
  }
  const int status = sim.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(Program, OnceExitsAfterTheFirstHost) {
  SimDir dir;
  SimProcess sim({"--dir", dir.config.dir.string(), "--socket", dir.socket().string(), "--once"});
  {
    auto host = StreamHost::connect(sim.socket_path());
    handshake(*host);
  }
  const int status = sim.wait_exit(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(Program, PtyWithLinkAndFaultOptionsServesWithTheFaults) {
  SimDir dir;
  const auto link = dir.temp.path() / "ttyACM7";
  SimProcess sim({"--dir", dir.config.dir.string(), "--pty", "--link", link.string(), "--fault-nack", "72",
                  "--fault-units", "split", "--trace", (dir.temp.path() / "t.log").string()});
  EXPECT_EQ(sim.pty_path().rfind("/dev/pts/", 0), 0u) << sim.first_line();
  auto host = StreamHost::open_tty(link.string());
  bring_to_da2(*host, dir.da, 256ull << 20);
  host->send({0x72});
  host->expect({0xA5}, "--fault-nack 72");
  host->send({0x72});
  host->expect({0x5A, 0x01});
}

TEST_F(Program, RejectsBadCommandLinesAndMismatchedUserSize) {
  SimDir dir;
  EXPECT_THROW(SimProcess({"--dir", dir.config.dir.string()}), std::runtime_error) << "no endpoint";
  EXPECT_THROW(SimProcess({"--dir", dir.config.dir.string(), "--socket", dir.socket().string(), "--fault-nack", "zz"}),
               std::runtime_error);
  std::filesystem::create_directories(dir.config.dir);
  write_region(dir.config.dir, "user.img", 8 << 20);
  EXPECT_THROW(SimProcess({"--dir", dir.config.dir.string(), "--socket", dir.socket().string(), "--user-size", "16M"}),
               std::runtime_error);
}

TEST_F(Program, MakeDaAndInitProduceWhatTheServerAccepts) {
  testing::TempDir temp;
  const auto da_path = temp.path() / "synthetic_da.bin";
  {
    SimProcess make({"make-da", da_path.string()});
    EXPECT_EQ(make.first_line(), "mtkfs-sim: wrote " + da_path.string());
    EXPECT_EQ(make.wait_exit(10s), 0);
  }
  const auto disk = temp.path() / "disk";
  {
    SimProcess init({"init", disk.string(), "--layout", "mbr"});
    EXPECT_EQ(init.wait_exit(60s), 0) << init.first_line();
  }
  // The synthetic DA has the layout of docs/protocol/da-file.md §5, so the hand-written flow
  // applies unchanged.
  const sim::ExpectedDa expected = sim::load_expected_da(da_path, {0x8590, 0xCB01, 0x0102});
  TestDa da;
  da.stage1 = expected.stage1.bytes;
  da.stage2 = expected.stage2.bytes;
  ASSERT_EQ(da.stage1.size(), 0x1100u);
  ASSERT_EQ(da.stage2.size(), 0x2100u);
  const auto sock = temp.path() / "s.sock";
  SimProcess sim({"--dir", disk.string(), "--socket", sock.string(), "--da", da_path.string()});
  auto host = StreamHost::connect(sim.socket_path());
  bring_to_da2(*host, da, 256ull << 20);
  host->send({0xA5});
  host->expect({0x5A});
  const Bytes length = host->receive(4);
  ASSERT_EQ(length.size(), 4u);
  const std::uint32_t n = std::uint32_t{length[0]} << 24 | length[1] << 16 | length[2] << 8 | length[3];
  EXPECT_GT(n, 0u) << "init --layout mbr writes a PMT";
  EXPECT_EQ(n % 0x58, 0u);
  host->send({0x5A});
  const Bytes records = host->receive(n);
  ASSERT_EQ(records.size(), n);
  EXPECT_NE(records[0], 0) << "first record has a name";
  host->send({0x5A});
  host->send({0x72});
  host->expect({0x5A, 0x01});
}

}  // namespace
}  // namespace mtkfs::simtest
