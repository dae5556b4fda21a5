// Paths of the programs and files under test, compiled in by tests/install/CMakeLists.txt.
#pragma once

#include <cstdlib>
#include <string>

namespace mtkfs::testing {

inline std::string mtkfs_program() { return MTKFS_BIN_PATH; }
inline std::string mtkfs_sim_program() { return MTKFS_SIM_BIN_PATH; }
inline std::string man_page(const std::string& name) { return std::string(MTKFS_MAN_DIR) + "/" + name; }

// The mtkfs-sim test helper (tests/support/sim_process.h) finds the program through the environment.
inline void export_sim_program() { ::setenv("MTKFS_SIM_BIN", MTKFS_SIM_BIN_PATH, 0); }

}  // namespace mtkfs::testing
