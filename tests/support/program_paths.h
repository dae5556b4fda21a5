// The programs under test, for every test that runs mtkfs or mtkfs-sim: $MTKFS_BIN / $MTKFS_SIM_BIN
// when set, else the programs of this build. The test target gets the defaults (and this accessor's
// definition, tests/support/program_paths.cpp) from mtkfs_test_programs() in tests/CMakeLists.txt.
#pragma once

#include <string>

namespace mtkfs::testing {

std::string mtkfs_program();
std::string mtkfs_sim_program();

}  // namespace mtkfs::testing
