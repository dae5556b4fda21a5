#include "app/logging.h"

#include <syslog.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace mtkfs::cli {
namespace {

std::shared_ptr<spdlog::sinks::dist_sink_mt>& destination() {
  static std::shared_ptr<spdlog::sinks::dist_sink_mt> sink;
  return sink;
}

spdlog::level::level_enum level_for(const LogVerbosity& v, spdlog::level::level_enum normal) {
  if (v.quiet) return spdlog::level::err;
  // Trace, not debug: da/channel.cpp logs every transfer's bytes at trace, and -vv promises them.
  if (v.verbose >= 2) return spdlog::level::trace;
  if (v.verbose == 1) return std::min(normal, spdlog::level::info);
  return normal;
}

// Replaces what the logger writes to; safe while other threads log (dist_sink locks).
void switch_to(spdlog::sink_ptr sink, spdlog::level::level_enum level) {
  auto& dist = destination();
  if (!dist) throw std::logic_error("setup_logging must run before the log destination changes");
  dist->set_sinks({std::move(sink)});
  spdlog::default_logger_raw()->set_level(level);
}

}  // namespace

void setup_logging(const LogVerbosity& verbosity, spdlog::level::level_enum terminal_default) {
  auto& dist = destination();
  if (!dist) {
    dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("mtkfs", dist));
  }
  auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  terminal->set_pattern("mtkfs: %^%l%$: %v");
  switch_to(terminal, level_for(verbosity, terminal_default));
}

void log_to_file(const std::string& path, const LogVerbosity& verbosity) {
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
  try {
    file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot open the log file " + path + ": " + e.what());
  }
  file->set_pattern("%Y-%m-%d %H:%M:%S.%e mtkfs[%P] %l: %v");
  switch_to(file, level_for(verbosity, spdlog::level::info));
  // Lines must be in the file when the daemon is killed or the test reads it.
  spdlog::default_logger_raw()->flush_on(spdlog::level::trace);
}

void log_to_syslog(const LogVerbosity& verbosity) {
  auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("mtkfs", LOG_PID, LOG_DAEMON,
                                                               /*enable_formatting=*/true);
  sink->set_pattern("%l: %v");
  switch_to(sink, level_for(verbosity, spdlog::level::info));
}

}  // namespace mtkfs::cli
