#include "app/cli_options.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <spdlog/fmt/fmt.h>

#include "app/da_discovery.h"
#include "da/errors.h"
#include "app/progress.h"

namespace mtkfs::cli {

void add_connection_options(CLI::App& app, ConnectionOptions& o) {
  const std::string group = "Connection";
  app.add_option("--da", o.da_file,
                 "MediaTek Download Agent file (MTK_AllInOne_DA*.bin) with a legacy MT8590 entry "
                 "(default: searched: $MTKFS_DA, the file --save-da saved, /usr/share/mtkfs, mtkclient's "
                 "Loader folder)")
      ->type_name("FILE")
      ->group(group);
  auto* socket = app.add_option("--socket", o.socket, "talk to mtkfs-sim on this UNIX socket")
                     ->type_name("PATH")
                     ->group(group);
  auto* port = app.add_option("--port", o.port, "use this tty (/dev/ttyACM0) or pty instead of USB")
                   ->type_name("TTY")
                   ->group(group);
  auto* usb = app.add_option("--usb", o.usb,
                             "use the USB device at BUS:ADDR (default: the first "
                             "MediaTek Preloader found)")
                  ->type_name("BUS:ADDR")
                  ->group(group);
  socket->excludes(port)->excludes(usb);
  port->excludes(usb);
  app.add_option("--wait", o.wait_seconds,
                 "seconds to wait for the device to appear (0 = wait forever)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS")
      ->capture_default_str()
      ->group(group);
  app.add_option("--reconnect", o.reconnect_seconds,
                 "when the link to the device is lost (cable, hub, device reset): hold the I/O and wait "
                 "this long for the same device to be plugged in again in download mode, then resume "
                 "(0 = fail the I/O at once)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS")
      ->capture_default_str()
      ->group(group);
  app.add_flag("-q,--quiet", o.quiet, "only errors")->group("Output");
  app.add_flag("-v,--verbose", o.verbosity, "protocol steps (-vv: debug, with the bytes on the wire)")
      ->group("Output");
  app.add_option("--trace", o.trace_file,
                 "record every byte on the wire, both directions, to FILE (for a bug report or "
                 "mtkfs-sim --replay; holds the flash contents read)")
      ->type_name("FILE")
      ->group("Output");
}

void add_end_option(CLI::App& app, std::string& mode) {
  app.add_option("--end", mode,
                 "how to leave the device after --info or the unmount: reboot (default: a normal "
                 "boot, the device is in a known state), stay (the DA keeps running; the next mtkfs "
                 "on this host continues it), poweroff")
      ->check(CLI::IsMember({"stay", "reboot", "poweroff"}))
      ->type_name("MODE")
      ->capture_default_str()
      ->group("Connection");
}

da::EndMode end_mode(const std::string& name) {
  if (name == "stay") return da::EndMode::stay;
  if (name == "poweroff") return da::EndMode::power_off;
  if (name == "reboot") return da::EndMode::reboot;
  throw std::invalid_argument("--end must be stay, reboot or poweroff, not " + name);
}

transport::ConnectOptions transport_options(const ConnectionOptions& o) {
  transport::ConnectOptions c;
  c.usb_selector = o.usb;
  c.port = o.port;
  c.socket = o.socket;
  c.wait_seconds = o.wait_seconds;
  if (!o.quiet) c.notice = [](const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); };
  if (!o.trace_file.empty()) c.trace = transport::WireTrace::create(o.trace_file);
  return c;
}

std::string da_file_hint() {
  return "The Download Agent ships with SP Flash Tool (MTK_AllInOne_DA.bin next to the "
         "flash_tool program) and with mtkclient (mtkclient/Loader/MTK_AllInOne_DA_*.bin); pass "
         "it with --da FILE, or save it once with mtkfs --save-da FILE";
}

// --da, else the files a search finds; none found is an error before any device wait.
da::DaSource da_source(const ConnectionOptions& o) {
  if (!o.da_file.empty()) return da::DaSource(da::load_da_file(o.da_file));
  DaSearch search = find_da_files(process_environment());
  if (search.candidates.empty()) {
    std::string places;
    for (const std::string& place : search.places) places += "\n  " + place;
    throw da::DaFileError("no Download Agent found and no --da given. Looked in:" + places + "\n" +
                          da::save_da_hint());
  }
  return da::DaSource(std::move(search.candidates), std::move(search.places));
}

// One record per link (da/session_record.h): a socket or tty by its path, USB as one (a re-plugged
// device gets a new address). In the runtime directory: it describes a running device, not a file to keep.
std::filesystem::path session_record_path(const ConnectionOptions& o) {
  std::filesystem::path dir;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
    dir = std::filesystem::path(runtime) / "mtkfs";
  else if (::geteuid() == 0)
    dir = "/run/mtkfs";
  else
    dir = "/tmp/mtkfs-" + std::to_string(::geteuid());
  std::string link = "usb";
  if (!o.socket.empty() || !o.port.empty()) {
    const std::string path = std::filesystem::absolute(o.socket.empty() ? o.port : o.socket).lexically_normal();
    link = (o.socket.empty() ? "port-" : "socket-") + fmt::format("{:016x}", std::hash<std::string>{}(path));
  }
  return dir / (link + ".session");
}

std::unique_ptr<da::Device> make_device(const ConnectionOptions& o,
                                        da::DeviceOptions device_options) {
  da::DaSource da = [&] {
    try {
      return da_source(o);
    } catch (const da::DaFileError& e) {
      if (o.da_file.empty()) throw;  // the search's message names the places and the fix already
      throw da::DaFileError(std::string(e.what()) + ". " + da_file_hint());
    }
  }();
  const transport::ConnectOptions connect = transport_options(o);
  device_options.notice = connect.notice;
  // Shared by the two callbacks; lives as long as the Device, whose destruction clears the line.
  std::shared_ptr<ConnectFeedback> feedback;
  if (feedback_wanted(o.quiet, STDERR_FILENO)) feedback = std::make_shared<ConnectFeedback>(stderr);
  if (feedback && !device_options.upload_progress)
    device_options.upload_progress = [feedback](const da::UploadProgress& p) { feedback->upload(p); };
  auto open = [connect, feedback]() -> std::unique_ptr<transport::Transport> {
    if (!feedback) return transport::open_transport(connect);
    return feedback->wait_for_device([&connect] { return transport::open_transport(connect); });
  };
  device_options.session_record = session_record_path(o);
  device_options.reconnect_wait = std::chrono::seconds(o.reconnect_seconds);
  device_options.reopen = [connect](std::chrono::milliseconds wait) {
    transport::ConnectOptions again = connect;
    // A re-plugged device gets a new USB address: any MediaTek device is taken, and the session
    // refuses one that is not the device mounted (Device::recover).
    again.usb_selector.clear();
    again.notice = nullptr;  // the "plug in" hints were given once; the log says what to do
    again.wait_seconds = std::max(1, static_cast<int>((wait.count() + 999) / 1000));  // 0 would be forever
    return transport::open_transport(again);
  };
  return std::make_unique<da::Device>(std::move(open), std::move(da), std::move(device_options));
}

}  // namespace mtkfs::cli
