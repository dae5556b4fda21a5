// Finding a Download Agent when --da is not given, in the order users put one: $MTKFS_DA, the user's
// data directory (where `mtkfs --save-da` copies one), the system's share directories, and the Loader
// folder of an installed mtkclient. The environment and the file-system root are parameters so that tests
// run the search on fake directories.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "da/da_source.h"

namespace mtkfs::cli {

struct DaSearchEnvironment {
  std::function<std::optional<std::string>(const char* name)> getenv;  // nullopt: not set or empty
  std::filesystem::path root = "/";  // prefix of the system directories (/usr/share, site-packages)
  std::filesystem::path home;
};

DaSearchEnvironment process_environment();  // getenv, "/", $HOME (or the passwd entry)

struct DaSearch {
  std::vector<da::DaCandidate> candidates;  // in the order they are tried
  std::vector<std::string> places;          // every place looked at, for "none found"
};

DaSearch find_da_files(const DaSearchEnvironment& env);

// ${XDG_DATA_HOME:-~/.local/share}/mtkfs: where the first place after $MTKFS_DA is.
std::filesystem::path user_da_directory(const DaSearchEnvironment& env);

// `mtkfs --save-da FILE`: checks that FILE is a DA with a legacy entry for the NW-A50's MT8590 and
// copies it into user_da_directory(); returns where. Throws DaFileError (unusable file) or
// std::runtime_error (cannot copy).
std::filesystem::path save_da(const std::filesystem::path& file, const DaSearchEnvironment& env);

}  // namespace mtkfs::cli
