// Where mtkfs' log lines go. One logger ("mtkfs") whose destination can be switched while other
// threads log (a background mount moves from the terminal to syslog after it detaches, and the
// cache's I/O thread may be logging at that moment), so the destination sits behind a dist_sink
// instead of replacing the logger.
#pragma once

#include <spdlog/common.h>

#include <string>

namespace mtkfs::cli {

struct LogVerbosity {
  bool quiet = false;  // -q: errors only
  int verbose = 0;     // -v: one step more, -vv: debug and the bytes on the wire
};

// Logging to stderr. `terminal_default` is the level without -q/-v: warn for --info and for the
// terminal part of a background mount (success stays silent), info in the foreground.
void setup_logging(const LogVerbosity& verbosity,
                   spdlog::level::level_enum terminal_default = spdlog::level::warn);

// From now on log lines go to FILE (appended, with date and pid) at info level unless -q/-vv.
// Throws std::runtime_error naming the file if it cannot be opened.
void log_to_file(const std::string& path, const LogVerbosity& verbosity);

// From now on log lines go to syslog (ident "mtkfs", facility daemon) at info level unless -q/-vv.
void log_to_syslog(const LogVerbosity& verbosity);

}  // namespace mtkfs::cli
