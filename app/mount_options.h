// The command line of mount mode: `mtkfs [options] [SOURCE] MOUNTPOINT`, including the `-o` list
// that mount(8) / mount.fuse3 hand over (`mount -t fuse.mtkfs SOURCE MOUNTPOINT -o opts`).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.h"
#include "app/cli_options.h"
#include "fuse/filesystem.h"

namespace mtkfs::cli {

// Exactly what the user typed, before interpretation.
struct MountArgs {
  std::vector<std::string> positionals;  // [SOURCE] MOUNTPOINT
  std::vector<std::string> o_lists;      // every -o value, each a comma-separated list
  bool rw = false;
  bool rw_boot = false;
  bool foreground = false;
  bool fuse_debug = false;
  std::string cache_size;  // --cache-size; empty: not given
  std::string log_file;
  std::string stats_file;  // --stats-file
};

// Registers the mount options (group "Mount") and the positionals on `app`.
void add_mount_options(CLI::App& app, MountArgs& args);

// The mount as it will be done.
struct MountPlan {
  std::string mountpoint;  // absolute: the daemon changes its directory to "/"
  fusefs::FsOptions fs;
  cache::CacheOptions cache;
  bool foreground = false;
  std::string log_file;  // absolute, or empty for the terminal / syslog
  std::string stats_file;  // absolute, or empty: no statistics file (app/stats_file.h)
};

// Interprets `args`; a SOURCE and the da=/end=/wait= keys of -o fill in `connection` and `end`.
// Relative paths become absolute. Throws std::invalid_argument with a message for the user.
MountPlan resolve_mount(const MountArgs& args, ConnectionOptions& connection, std::string& end);

// The help text's footer: the -o keys and the SOURCE forms.
std::string mount_help_footer();

// The -o keys mtkfs takes itself, in the order --help lists them.
std::vector<std::string> mount_option_keys();

}  // namespace mtkfs::cli
