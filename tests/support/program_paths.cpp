// $MTKFS_BIN / $MTKFS_SIM_BIN win; the build's own programs are the default (a two-entry
// ENVIRONMENT does not survive gtest_discover_tests' property quoting). Compiled into each test program
// that runs mtkfs / mtkfs-sim, which defines MTKFS_BIN_DEFAULT and MTKFS_SIM_BIN_DEFAULT.
#include <gtest/gtest.h>

#include <cstdlib>

namespace {

class ProgramPaths : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("MTKFS_BIN", MTKFS_BIN_DEFAULT, 0);
    ::setenv("MTKFS_SIM_BIN", MTKFS_SIM_BIN_DEFAULT, 0);
  }
};

[[maybe_unused]] ::testing::Environment* const program_paths =
    ::testing::AddGlobalTestEnvironment(new ProgramPaths);

}  // namespace
