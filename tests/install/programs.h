// Paths of the programs (tests/support/program_paths.h) and files under test, compiled in by
// tests/install/CMakeLists.txt.
#pragma once

#include <cstdlib>
#include <string>

#include "tests/support/program_paths.h"

namespace mtkfs::testing {

inline std::string man_page(const std::string& name) { return std::string(MTKFS_MAN_DIR) + "/" + name; }

}  // namespace mtkfs::testing
