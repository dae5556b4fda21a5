// mtkfs: the eMMC of a MediaTek device (Sony NW-A50, MT8590) in Preloader download mode, through
// the legacy Download Agent protocol.
//
//   mtkfs [options] [SOURCE] MOUNTPOINT      mount (app/mount_command.h)
//   mtkfs --info [--da FILE] [connection]    print what the device reports
//   mtkfs --save-da FILE                     keep a DA file where later runs find it (app/da_discovery.h)
//
// Both end the DA session with `reboot` unless --end says otherwise: a reboot leaves the device in a
// known state. A DA left running (`stay`, or an mtkfs that was killed) is continued by the next mtkfs
// on this host, from the session record (da/session_record.h).
//
// Every failure before a mount exists is one message on stderr (one line, but for the list of places a
// DA search looked at) and exit status 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "da/device.h"
#include "app/cli_options.h"
#include "app/da_discovery.h"
#include "app/logging.h"
#include "app/mount_command.h"
#include "app/mount_options.h"

namespace {

int run_info(const mtkfs::cli::ConnectionOptions& connection, const std::string& end) {
  const mtkfs::da::EndMode mode = mtkfs::cli::end_mode(end);
  auto device = mtkfs::cli::make_device(connection);
  device->connect();
  std::fputs(device->describe().c_str(), stdout);
  std::fflush(stdout);
  device->close(mode);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mtkfs: the eMMC of a MediaTek device (Sony NW-A50) in Preloader download mode, "
               "as a FUSE filesystem of image files"};
  mtkfs::cli::ConnectionOptions connection;
  mtkfs::cli::MountArgs mount_args;
  bool info = false;
  std::string end = "reboot";
  std::string save_da;
  app.add_flag("--info", info, "connect, print the device and flash information, end the session")
      ->group("Device information");
  app.add_option("--save-da", save_da,
                 "check FILE (a DA with a legacy MT8590 entry) and copy it to ~/.local/share/mtkfs, where "
                 "every later run finds it without --da")
      ->type_name("FILE")
      ->group("Device information");
  mtkfs::cli::add_connection_options(app, connection);
  mtkfs::cli::add_end_option(app, end);
  mtkfs::cli::add_mount_options(app, mount_args);
  app.set_version_flag("--version", std::string("mtkfs ") + MTKFS_VERSION, "print the version and exit")
      ->group("Output");
  app.footer(mtkfs::cli::mount_help_footer());

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mtkfs: %s (see mtkfs --help)\n", e.what());
    return 1;
  }

  try {
    const mtkfs::cli::LogVerbosity verbosity{connection.quiet, connection.verbosity};
    if (!save_da.empty()) {
      if (info || !mount_args.positionals.empty()) throw std::invalid_argument("--save-da does nothing else");
      const auto saved = mtkfs::cli::save_da(save_da, mtkfs::cli::process_environment());
      std::printf("mtkfs: saved %s; mtkfs finds it from now on, --da is not needed\n", saved.c_str());
      return 0;
    }
    if (info) {
      if (!mount_args.positionals.empty())
        throw std::invalid_argument("--info takes no MOUNTPOINT");
      mtkfs::cli::setup_logging(verbosity);
      return run_info(connection, end);
    }
    if (mount_args.positionals.empty()) {
      std::fprintf(stderr, "mtkfs: nothing to do: give a MOUNTPOINT, --info or --save-da (see mtkfs --help)\n");
      return 1;
    }
    const mtkfs::cli::MountPlan plan = mtkfs::cli::resolve_mount(mount_args, connection, end);
    // In the foreground the terminal is the log; a background mount stays quiet there on success.
    mtkfs::cli::setup_logging(verbosity, plan.foreground ? spdlog::level::info : spdlog::level::warn);
    return mtkfs::cli::run_mount(plan, connection, mtkfs::cli::end_mode(end));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs: %s\n", e.what());
    return 1;
  }
}
