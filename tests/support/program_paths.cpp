// Compiled into each test program that runs mtkfs / mtkfs-sim by mtkfs_test_programs()
// (tests/CMakeLists.txt), which defines MTKFS_BIN_DEFAULT and MTKFS_SIM_BIN_DEFAULT. The environment
// wins, so a test run can point at other builds of the programs.
#include "tests/support/program_paths.h"

#include <cstdlib>

namespace mtkfs::testing {
namespace {

std::string from_environment(const char* variable, const char* build_default) {
  const char* path = std::getenv(variable);
  return path && *path ? path : build_default;
}

}  // namespace

std::string mtkfs_program() { return from_environment("MTKFS_BIN", MTKFS_BIN_DEFAULT); }
std::string mtkfs_sim_program() { return from_environment("MTKFS_SIM_BIN", MTKFS_SIM_BIN_DEFAULT); }

}  // namespace mtkfs::testing
