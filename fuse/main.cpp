// mtkfs: the eMMC of a MediaTek device (Sony NW-A50, MT8590) in Preloader download mode, through
// the legacy Download Agent protocol.
//
//   mtkfs --info --da FILE [--socket PATH | --port TTY | --usb BUS:ADDR] [--wait S] [--end MODE]
//
// --info connects, prints what the device reports and ends the session. Its default end is
// `reboot`: mtkfs cannot resume a DA session, so a DA left running (`stay`) only blocks the next
// mtkfs run until the device is reset; a reboot leaves it in a known state.
//
// Every failure is one line on stderr and exit status 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "da/device.h"
#include "fuse/cli_options.h"

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
  CLI::App app{"mtkfs: the eMMC of a MediaTek device (Sony NW-A50) in Preloader download mode"};
  mtkfs::cli::ConnectionOptions connection;
  bool info = false;
  std::string info_end = "reboot";
  app.add_flag("--info", info, "connect, print the device and flash information, end the session");
  mtkfs::cli::add_connection_options(app, connection);
  mtkfs::cli::add_end_option(app, info_end);

  // ---- MOUNT MODE (fs helper): register the mount options on `app` here. ----

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mtkfs: %s (see mtkfs --help)\n", e.what());
    return 1;
  }
  mtkfs::cli::setup_logging(connection);

  try {
    if (info) return run_info(connection, info_end);

    // ---- MOUNT MODE (fs helper): run the mount here; until then there is nothing else to do. ----

    std::fprintf(stderr, "mtkfs: nothing to do: use --info (see mtkfs --help)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs: %s\n", e.what());
    return 1;
  }
}
