// `mtkfs --info` as a user runs it, against the mtkfs-sim program.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "sim/image/synthetic_da.h"
#include "tests/support/run_program.h"
#include "tests/support/program_paths.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {
namespace {

std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

class MtkfsInfo : public ::testing::Test {
 protected:
  TempDir dir;
  std::string da = (dir / "da.bin").string();

  void SetUp() override {
    // The real NW-A50 user-area size (sparse, no table: nothing is written into it).
    ASSERT_EQ(run_program(mtkfs_sim_program(), {"make-da", da}).exit_code, 0);
    ASSERT_EQ(run_program(mtkfs_sim_program(), {"init", (dir / "img").string(), "--layout", "none",
                                                 "--profile", "nw-a50-full"})
                  .exit_code,
              0);
  }

  SimProcess start_sim(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--dir", (dir / "img").string(), "--socket",
                                     (dir / "sim.sock").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return SimProcess(args);
  }
};

TEST_F(MtkfsInfo, PrintsTheNwA50Values) {
  SimProcess sim = start_sim();
  const ProgramResult r =
      run_program(mtkfs_program(), {"--info", "--socket", sim.socket_path(), "--da", da});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected : {
           "CPU:            MT8590 (hw code 0x8590)\n",
           "HW subcode:     0x8A00\n",
           "HW version:     0xCB01\n",
           "SW version:     0x0102\n",
           "Target config:  0x00000000 (SBC off, SLA off, DAA off)\n",
           "DA version:     4.2 (chip id 0x91)\n",
           "Int SRAM:       0x40000 (256 KiB)\n",
           "Ext RAM:        DRAM (0x02), 0x20000000 (512 MiB)\n",
           "eMMC boot1:     0x400000 (4 MiB)\n",
           "eMMC boot2:     0x400000 (4 MiB)\n",
           "eMMC rpmb:      0x1000000 (16 MiB)\n",
           "eMMC user:      0x3AB400000 (14.68 GiB)\n",
           "eMMC CID:       15010041474E4433520712345678A1E3\n",
           "Random id:      FA7B5F0AE9D552120ABBAD92E4DFDA3B\n",
       })
    EXPECT_NE(r.out.find(expected), std::string::npos) << "missing " << expected << "in\n" << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(MtkfsInfo, DefaultEndRebootsSoASecondRunWorks) {
  SimProcess sim = start_sim();
  for (int run = 0; run < 2; ++run) {
    const ProgramResult r =
        run_program(mtkfs_program(), {"--info", "-q", "--socket", sim.socket_path(), "--da", da});
    EXPECT_EQ(r.exit_code, 0) << "run " << run << ": " << r.err;
  }
  const ProgramResult stay = run_program(
      mtkfs_program(), {"--info", "--end", "stay", "--socket", sim.socket_path(), "--da", da});
  EXPECT_EQ(stay.exit_code, 0) << stay.err;
}

TEST_F(MtkfsInfo, ReportsAPrefixedTrailer) {
  SimProcess sim = start_sim({"--trailer", "prefixed"});
  const ProgramResult r = run_program(
      mtkfs_program(), {"--info", "--socket", sim.socket_path(), "--da", da, "--end", "poweroff"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Report end:     prefixed trailer"), std::string::npos) << r.out;
}

// Without --da, mtkfs searches (app/da_discovery.h). HOME points into the test's directory, so the
// user's data directory is empty; the system directories of a CI machine hold no DA file.
std::vector<std::string> in_home(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"HOME=" + (dir / "home").string(), "XDG_DATA_HOME=", "MTKFS_DA=", "MTKCLIENT_DIR=",
                             mtkfs_program()});
  return args;
}

TEST_F(MtkfsInfo, NoDaFoundListsEveryPlaceAndTheOneCommandThatFixesIt) {
  const ProgramResult r = run_program("/usr/bin/env", in_home(dir, {"--info", "--socket", "/nonexistent"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no Download Agent found and no --da given"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir / "home/.local/share/mtkfs").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/usr/share/mtkfs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mtkclient/Loader"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mtkfs --save-da /path/to/MTK_AllInOne_DA.bin"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(MtkfsInfo, AFoundDaWithoutAnEntryForTheChipIsNamedWithItsReason) {
  sim::image::SyntheticDaOptions other;
  other.entries.front().hw_code = 0x6580;
  const auto bytes = sim::image::build_synthetic_da(other);
  const auto path = dir / "MTK_AllInOne_DA_mt6580.bin";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  auto sim = start_sim();
  std::vector<std::string> args = in_home(dir, {"--info", "--socket", (dir / "sim.sock").string()});
  args[2] = "MTKFS_DA=" + path.string();
  const ProgramResult r = run_program("/usr/bin/env", args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no Download Agent with an entry for hw code 0x8590"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path.string() + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0x6580"), std::string::npos) << r.err;
}

TEST_F(MtkfsInfo, ADaSavedOnceIsFoundWithoutAnyOption) {
  const ProgramResult saved = run_program("/usr/bin/env", in_home(dir, {"--save-da", da}));
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  auto sim = start_sim();
  const ProgramResult r =
      run_program("/usr/bin/env", in_home(dir, {"--info", "--socket", (dir / "sim.sock").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string kept = (dir / "home/.local/share/mtkfs/MTK_AllInOne_DA_da.bin").string();
  EXPECT_NE(r.err.find("Using the Download Agent " + kept), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("DA file:        " + kept), std::string::npos) << r.out;
}

TEST_F(MtkfsInfo, MissingOrBogusDaFileIsOneErrorLine) {
  ProgramResult r = run_program(mtkfs_program(),
                                {"--info", "--socket", "/nonexistent", "--da", "/nonexistent.bin"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("DA file /nonexistent.bin does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MTK_AllInOne_DA"), std::string::npos) << r.err;

  std::ofstream(dir / "bogus.bin") << std::string(300, 'x');  // long enough for a header
  r = run_program(mtkfs_program(),
                  {"--info", "--socket", "/nonexistent", "--da", (dir / "bogus.bin").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("is not a MediaTek Download Agent"), std::string::npos) << r.err;
}

TEST_F(MtkfsInfo, NoDeviceIsOneErrorLine) {
  const ProgramResult r = run_program(mtkfs_program(), {"--info", "-q", "--wait", "1", "--socket",
                                                       (dir / "none.sock").string(), "--da", da});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("mtkfs: cannot open the device: ", 0), 0u) << r.err;
}

TEST_F(MtkfsInfo, BadOptionsAreOneErrorLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--info", "--end", "explode", "--da", da},
        std::vector<std::string>{"--info", "--socket", "a", "--port", "b", "--da", da},
        std::vector<std::string>{"--no-such-option"}}) {
    const ProgramResult r = run_program(mtkfs_program(), args);
    EXPECT_EQ(r.exit_code, 1) << args[1];
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("mtkfs: ", 0), 0u) << r.err;
  }
}

TEST_F(MtkfsInfo, HelpExitsZero) {
  const ProgramResult r = run_program(mtkfs_program(), {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--info"), std::string::npos);
  EXPECT_NE(r.out.find("--end"), std::string::npos);
}

}  // namespace
}  // namespace mtkfs::testing
