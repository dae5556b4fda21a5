// The command-line part every mtkfs mode shares: how to reach the device (--da, --socket, --port,
// --usb, --wait), how to end the session (--end), logging, and turning those into a da::Device.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "da/device.h"
#include "transport/open_transport.h"

namespace mtkfs::cli {

struct ConnectionOptions {
  std::string da_file;
  std::string socket;  // UNIX socket of mtkfs-sim
  std::string port;    // /dev/ttyACM0 or a pty
  std::string usb;     // BUS:ADDR; USB is the default medium when neither --socket nor --port
  int wait_seconds = 60;
  int reconnect_seconds = 300;  // a lost link is waited for this long before I/O fails; 0 = at once
  std::string trace_file;  // --trace: every byte on the wire (docs/trace-format.md)
  bool quiet = false;
  int verbosity = 0;
};

// Registers --da, --socket, --port, --usb, --wait, --reconnect (group "Connection"), -q/--quiet,
// -v/--verbose and --trace (group "Output") on `app`.
void add_connection_options(CLI::App& app, ConnectionOptions& options);

// Registers --end stay|reboot|poweroff (group "Connection"), keeping `mode`'s value as the default.
void add_end_option(CLI::App& app, std::string& mode);
da::EndMode end_mode(const std::string& name);

// Creates the --trace file (TransportError when it cannot), so it is there before any fork.
transport::ConnectOptions transport_options(const ConnectionOptions& options);

// Where users find a DA file, appended to every DA file error.
std::string da_file_hint();

// Where the session record of the link these options name lives (DeviceOptions::session_record).
std::filesystem::path session_record_path(const ConnectionOptions& options);

// Loads --da (DaFileError with da_file_hint() when unusable), or searches for DA files when it is not
// given (app/da_discovery.h; DaFileError listing the places when none is found); the returned
// Device is not connected yet. On a terminal and without -q, connecting shows a spinner while
// waiting for the device and a bar for the DA upload (app/progress.h).
std::unique_ptr<da::Device> make_device(const ConnectionOptions& options,
                                        da::DeviceOptions device_options = {});

}  // namespace mtkfs::cli
