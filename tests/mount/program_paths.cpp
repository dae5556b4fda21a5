// $MTKFS_BIN / $MTKFS_SIM_BIN win; the build's own programs are the default (a two-entry
// ENVIRONMENT does not survive gtest_discover_tests' property quoting).
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
