// `cmake --install` puts the programs, the man pages and the udev rule where users and packagers
// expect them, and the installed program runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/run_program.h"
#include "tests/install/option_lists.h"
#include "tests/install/programs.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {
namespace {

namespace fs = std::filesystem;

TEST(Install, PutsProgramsManPagesAndUdevRuleUnderThePrefix) {
  TempDir prefix;
  const ProgramResult install =
      run_program(MTKFS_CMAKE_COMMAND, {"--install", MTKFS_BUILD_DIR, "--prefix", prefix.path().string()},
                  std::chrono::seconds(120));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;

  for (const char* program : {"bin/mtkfs", "bin/mtkfs-sim"}) {
    const fs::path path = prefix / program;
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    EXPECT_NE(fs::status(path).permissions() & fs::perms::owner_exec, fs::perms::none) << path;
  }
  for (const char* page : {"mtkfs.1", "mtkfs-sim.1"}) {
    const fs::path path = prefix / (std::string("share/man/man1/") + page);
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    EXPECT_EQ(read_text_file(path.string()), read_text_file(man_page(page))) << path;
  }
  const fs::path rule = prefix / "lib/udev/rules.d/52-mtkfs.rules";
  ASSERT_TRUE(fs::is_regular_file(rule)) << rule;
  EXPECT_NE(read_text_file(rule.string()).find("0e8d"), std::string::npos);

  const ProgramResult version =
      run_program((prefix / "bin/mtkfs").string(), {"--version"}, std::chrono::seconds(30));
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, "mtkfs " MTKFS_PROJECT_VERSION "\n");
  const ProgramResult sim_version =
      run_program((prefix / "bin/mtkfs-sim").string(), {"--version"}, std::chrono::seconds(30));
  EXPECT_EQ(sim_version.exit_code, 0) << sim_version.err;
  EXPECT_EQ(sim_version.out, "mtkfs-sim " MTKFS_PROJECT_VERSION "\n");
}

}  // namespace
}  // namespace mtkfs::testing
