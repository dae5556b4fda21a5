// mtkfs-sim: serve the simulated NW-A50 on a UNIX socket or a pty; `init` / `make-da` build its images.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/size.h"
#include "sim/sim.h"
#include "sim/image/image.h"
#include "sim/replay/replay.h"
#include "sim/usbdevfs/usb_command.h"

namespace {

using namespace mtkfs::sim;
using mtkfs::parse_size;

std::uint8_t parse_command_byte(const std::string& text) {
  std::size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(text, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value > 0xFF) {
    throw std::invalid_argument("--fault-nack wants a command byte in hex (e.g. d6, 62, 60), not '" + text + "'");
  }
  return static_cast<std::uint8_t>(value);
}

// `--cid`: 16 bytes as 32 hex digits, in the CID's standard byte order (MID first).
std::array<std::uint8_t, 16> parse_cid(const std::string& text) {
  std::array<std::uint8_t, 16> cid{};
  const bool hex = text.size() == 32 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  if (!hex) throw std::invalid_argument("--cid wants 32 hex digits (16 bytes, MID first), not '" + text + "'");
  for (std::size_t i = 0; i < cid.size(); ++i) {
    cid[i] = static_cast<std::uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
  }
  return cid;
}

// `N[,N...]`: ascending byte totals.
std::vector<std::uint64_t> parse_drop_points(const std::string& text, const char* option) {
  std::vector<std::uint64_t> points;
  if (text.empty()) return points;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    points.push_back(parse_size(text.substr(at, comma - at), option));
    if (points.size() > 1 && points.back() <= points[points.size() - 2]) {
      throw std::invalid_argument(std::string(option) + " wants ascending byte counts, not '" + text + "'");
    }
    at = comma + 1;
  }
  return points;
}

std::optional<std::uint64_t> size_option(const std::string& text, std::string_view what) {
  if (text.empty()) return std::nullopt;
  return parse_size(text, what);
}

// Blocks until SIGINT/SIGTERM or until the server stops by itself (`--once`).
template <class Server>
void serve_until_done(const Server& server) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec poll_period{0, 100'000'000};
  while (!server.finished()) {
    const int sig = sigtimedwait(&set, nullptr, &poll_period);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("signal {}: stopping", sig);
      return;
    }
  }
}

// Serving options as typed; make_config() turns them into a SimConfig.
struct ServeArgs {
  SimConfig config;
  std::string dir, socket_path, link_path, user_size_text, profile, da_file, trailer = "plain";
  std::string nack_text, units_text = "none", drop_text, drop_received_text, cid_text, link_model = "none", trace_file, pieces_text, replay_file;
  bool use_pty = false, no_swallow = false, ready = false, keep_on_close = false;
  std::uint64_t corrupt_chunk = 0, corrupt_from = 0, reenter_after = 0;
  unsigned delay_ms = 0, return_after_ms = 0;
};

void add_serve_options(CLI::App& app, ServeArgs& a) {
  SimConfig& c = a.config;
  app.add_option("--dir", a.dir, "directory with boot1.img boot2.img rpmb.img user.img");
  app.add_option("--socket", a.socket_path, "serve on this UNIX stream socket");
  app.add_flag("--pty", a.use_pty, "serve on a new pseudo-terminal");
  app.add_option("--link", a.link_path, "with --pty: symlink to the slave (e.g. /dev/ttyACM42)");
  app.add_option("--user-size", a.user_size_text, "user-area size (bytes, 0x.., k/M/G suffixes)");
  app.add_option("--profile", a.profile, "nw-a50-full: user area 0x3AB400000")->check(CLI::IsMember({"nw-a50-full"}));
  app.add_option("--da", a.da_file, "DA file whose MT8590 entry the uploads must match")->check(CLI::ExistingFile);
  app.add_flag("--ready", a.ready, "send READY strings while waiting for the handshake");
  app.add_flag("--no-swallow", a.no_swallow, "answer the very first A0 instead of swallowing it");
  app.add_option("--trailer,--da-trailer", a.trailer, "stage-2 report trailer")
      ->check(CLI::IsMember({"plain", "prefixed"}));
  app.add_option("--nand-id-count", c.nand_id_count, "DA1 sync NAND id count (default 7)");
  app.add_flag("--allow-rpmb", c.allow_rpmb, "let 60 03 select RPMB");
  app.add_flag("--speed-switch", c.speed_switch, "report full speed until 70 01 re-enumerates the DA");
  app.add_flag("--strict-config", c.strict_config, "check all 18 stage-2 config bytes");
  app.add_flag("--require-aligned", c.require_aligned, "NACK D6/62 ranges that are not sector aligned");
  app.add_flag("--strict-receiver", c.strict_receiver,
               "USB: the DA takes one host transfer per field and drops the rest of it");
  app.add_option("--cid", a.cid_text, "eMMC CID the DA reports: 32 hex digits, MID first");
  app.add_flag("--keep-state-on-close", a.keep_on_close, "a host closing the port does not reset the device");
  app.add_option("--fault-corrupt-chunk", a.corrupt_chunk, "wrong checksum for D6 chunk N (from 0)");
  app.add_option("--fault-corrupt-from", a.corrupt_from, "wrong checksum for every D6 chunk from N on");
  app.add_option("--fault-drop-after", a.drop_text,
                 "drop the link after N device bytes (N1,N2,...: once at each total, ascending)");
  app.add_option("--fault-drop-after-received", a.drop_received_text,
                 "drop the link once the device has taken in N[,N...] host bytes (ascending totals)");
  app.add_option("--fault-return-after", a.return_after_ms,
                 "after a drop: off the bus MS milliseconds, then a fresh Preloader");
  app.add_flag("--fault-return-as-other-device", c.faults.return_as_other_device,
               "after a drop: report another CID (serial number + drops so far)");
  app.add_option("--fault-nack", a.nack_text, "NACK the first DA command with this byte (hex)");
  app.add_option("--fault-nack-count", c.faults.nack_count, "how many such commands to NACK");
  app.add_option("--fault-nack-skip", c.faults.nack_skip, "answer this many such commands normally first");
  app.add_option("--fault-delay", a.delay_ms, "delay every reply by MS milliseconds");
  app.add_option("--fault-units", a.units_text, "split: 1-byte units; merge: 512-byte packets")
      ->check(CLI::IsMember({"none", "split", "merge"}));
  app.add_option("--fault-reenter-preloader", a.reenter_after, "after N DA commands: fresh Preloader");
  app.add_option("--fault-d6-pieces", a.pieces_text,
                 "USB: each D6 chunk as N-byte transfers (random: random lengths), ZLP after whole packets");
  app.add_option("--link-model", a.link_model, "usb2-hs: ~40 MB/s + 150 us per transfer")
      ->check(CLI::IsMember({"none", "usb2-hs"}));
  app.add_option("--trace", a.trace_file, "log both directions to FILE");
  app.add_flag("--once", c.once, "serve one host session, then exit");
  app.add_option("--replay", a.replay_file,
                 "play the device side of an mtkfs --trace FILE and check the host's bytes (no --dir needed)")
      ->check(CLI::ExistingFile);
}

// `endpoint`: serving needs exactly one of --socket and --pty; `usb` has its own.
SimConfig make_config(const CLI::App& app, const ServeArgs& a, bool endpoint = true) {
  if (a.dir.empty() && a.replay_file.empty()) throw std::invalid_argument("--dir is required");
  if (!endpoint && (a.use_pty || !a.socket_path.empty()))
    throw std::invalid_argument("usb serves on the emulated USB bus: no --socket or --pty");
  if (endpoint && a.use_pty == !a.socket_path.empty())
    throw std::invalid_argument("give exactly one of --socket PATH and --pty");
  if (!a.link_path.empty() && !a.use_pty) throw std::invalid_argument("--link needs --pty");
  if (!a.profile.empty() && !a.user_size_text.empty())
    throw std::invalid_argument("--profile and --user-size exclude each other");
  SimConfig config = a.config;
  config.dir = a.dir;
  config.user_size = size_option(a.user_size_text, "--user-size");
  if (!a.profile.empty()) config.user_size = kNwA50UserSize;
  if (!a.da_file.empty()) config.da_file = a.da_file;
  if (a.ready) config.ready = true;
  config.swallow_first_a0 = !a.no_swallow;
  config.trailer = a.trailer == "prefixed" ? Trailer::prefixed : Trailer::plain;
  if (a.keep_on_close) config.reset_on_host_close = false;
  Faults& f = config.faults;
  if (app.count("--fault-corrupt-chunk")) f.corrupt_chunk = a.corrupt_chunk;
  if (app.count("--fault-corrupt-from")) f.corrupt_from_chunk = a.corrupt_from;
  if (const auto points = parse_drop_points(a.drop_text, "--fault-drop-after"); !points.empty()) {
    f.drop_after_bytes = points.front();
    f.drop_again_after_bytes.assign(points.begin() + 1, points.end());
  }
  f.drop_after_received_bytes = parse_drop_points(a.drop_received_text, "--fault-drop-after-received");
  if (!f.drop_after_bytes && f.drop_after_received_bytes.empty() && (app.count("--fault-return-after") || f.return_as_other_device))
    throw std::invalid_argument("--fault-return-after and --fault-return-as-other-device need --fault-drop-after or "
                                "--fault-drop-after-received");
  if (app.count("--fault-return-after")) f.drop_return_after = std::chrono::milliseconds(a.return_after_ms);
  if (!a.cid_text.empty()) config.cid = parse_cid(a.cid_text);
  if (!a.nack_text.empty()) f.nack_command = parse_command_byte(a.nack_text);
  f.delay = std::chrono::milliseconds(a.delay_ms);
  f.units = a.units_text == "split" ? UnitFault::split : a.units_text == "merge" ? UnitFault::merge : UnitFault::none;
  if (app.count("--fault-reenter-preloader")) f.reenter_preloader_after = a.reenter_after;
  if (a.pieces_text == "random") {
    f.d6_pieces = 0;
  } else if (!a.pieces_text.empty()) {
    f.d6_pieces = parse_size(a.pieces_text, "--fault-d6-pieces");
    if (*f.d6_pieces == 0) throw std::invalid_argument("--fault-d6-pieces wants N > 0 or 'random'");
  }
  config.link_model = a.link_model == "usb2-hs" ? LinkModel::usb2_hs : LinkModel::none;
  if (!a.trace_file.empty()) config.trace_path = a.trace_file;
  if (!a.replay_file.empty()) {
    config.replay_path = a.replay_file;
    config.replay_outcome = std::make_shared<ReplayOutcome>();
  }
  return config;
}

int serve(const SimConfig& config, const ServeArgs& a) {
  // Signals are taken synchronously by the main thread; the server threads inherit the blocked mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (a.use_pty) {
    PtyServer server(config, a.link_path.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.link_path));
    std::printf("mtkfs-sim: pty %s\n", server.slave_path().c_str());
    std::fflush(stdout);
    serve_until_done(server);
  } else {
    SocketServer server(config, a.socket_path);
    std::printf("mtkfs-sim: listening on socket %s\n", a.socket_path.c_str());
    std::fflush(stdout);
    serve_until_done(server);
  }
  if (!config.replay_outcome) return 0;
  std::fprintf(stderr, "mtkfs-sim: %s\n", config.replay_outcome->verdict().c_str());
  return config.replay_outcome->passed() ? 0 : 1;
}

// `usb [options] -- COMMAND...`: the emulated USB bus (sim/usbdevfs/usb_command.h).
struct UsbArgs {
  CLI::App* command = nullptr;
  unsigned plug_delay_ms = 0;
  std::string unplug_after;
  std::vector<std::string> extra_dirs;
  std::vector<std::string> program;
};

void add_usb_command(CLI::App& app, UsbArgs& a) {
  a.command = app.add_subcommand("usb", "run COMMAND with the simulated device on an emulated USB bus (umockdev)");
  a.command->fallthrough();  // the serving options (--dir, faults, ...) may follow `usb`
  a.command->add_option("--plug-delay", a.plug_delay_ms, "the device appears MS milliseconds after COMMAND starts");
  a.command->add_option("--unplug-after", a.unplug_after, "pull the cable once the host has read N bytes");
  a.command->add_option("--extra-device", a.extra_dirs, "one more simulated device (images in DIR) on the next port")
      ->allow_extra_args(false);
  a.command->add_option("program", a.program, "COMMAND [ARGS...] after --")->required();
}

int run_usb(const CLI::App& app, const ServeArgs& serve_args, const UsbArgs& a, char** argv) {
  usbdevfs::run_under_preload(argv);  // returns only when it already is
  usbdevfs::UsbCommand usb;
  usb.devices.push_back(make_config(app, serve_args, false));
  for (const std::string& dir : a.extra_dirs) {
    SimConfig extra = usb.devices.front();
    extra.dir = dir;
    extra.trace_path.reset();  // the trace, and a replay, belong to the first device
    extra.replay_path.reset();
    extra.replay_outcome.reset();
    usb.devices.push_back(extra);
  }
  usb.plug.plug_delay = std::chrono::milliseconds(a.plug_delay_ms);
  usb.plug.unplug_after_bytes = size_option(a.unplug_after, "--unplug-after");
  usb.command = a.program;
  std::signal(SIGPIPE, SIG_IGN);
  const int status = usbdevfs::run_usb_command(usb);
  const auto& replay = usb.devices.front().replay_outcome;
  if (!replay) return status;
  std::fprintf(stderr, "mtkfs-sim: %s\n", replay->verdict().c_str());
  return status != 0 ? status : replay->passed() ? 0 : 1;
}

// `init DIR` and `make-da FILE`: the images and the DA file a simulated device serves.
struct ImageArgs {
  std::string init_dir, layout = "gpt", init_user_size, init_profile, da_out;
  bool pattern = false, mtk_last_size = false;
  CLI::App* init = nullptr;
  CLI::App* make_da = nullptr;
};

void add_image_commands(CLI::App& app, ImageArgs& a) {
  a.init = app.add_subcommand("init", "create the four region images");
  a.init->add_option("dir", a.init_dir, "target directory")->required();
  a.init->add_option("--layout", a.layout, "user-area partition table")->check(CLI::IsMember({"gpt", "mbr", "none"}));
  a.init->add_flag("--pattern", a.pattern, "fill regions with the address pattern");
  auto* init_size = a.init->add_option("--user-size", a.init_user_size, "user-area size");
  a.init->add_option("--profile", a.init_profile, "nw-a50-full")
      ->check(CLI::IsMember({"nw-a50-full"}))
      ->excludes(init_size);
  a.init->add_flag("--mtk-last-size", a.mtk_last_size, "ptgen-style 0xFFFFFFFF-based size for the last EBR entry");
  a.make_da = app.add_subcommand("make-da", "write the synthetic DA file of docs/protocol/da-file.md §5");
  a.make_da->add_option("file", a.da_out, "output file")->required();
}

int run_image_command(const ImageArgs& a) {
  if (a.make_da->parsed()) {
    image::write_synthetic_da(a.da_out);
    std::printf("mtkfs-sim: wrote %s\n", a.da_out.c_str());
    return 0;
  }
  image::InitOptions options;
  options.dir = a.init_dir;
  options.layout = a.layout == "mbr" ? image::Layout::mbr : a.layout == "none" ? image::Layout::none : image::Layout::gpt;
  options.pattern = a.pattern;
  options.mtk_last_size = a.mtk_last_size;
  if (!a.init_profile.empty()) options.user_size = kNwA50UserSize;
  if (!a.init_user_size.empty()) options.user_size = parse_size(a.init_user_size, "--user-size");
  image::init_disk(options);
  std::printf("mtkfs-sim: initialised %s\n", a.init_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("mtkfs-sim");
  spdlog::set_default_logger(logger);

  CLI::App app{"mtkfs-sim: a simulated Sony NW-A50 (MT8590) in Preloader download mode with a legacy DA"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("mtkfs-sim ") + MTKFS_VERSION, "print the version and exit");
  ServeArgs serve_args;
  add_serve_options(app, serve_args);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  ImageArgs image_args;
  add_image_commands(app, image_args);
  UsbArgs usb_args;
  add_usb_command(app, usb_args);

  CLI11_PARSE(app, argc, argv);
  if (verbose) spdlog::set_level(spdlog::level::debug);

  try {
    if (image_args.init->parsed() || image_args.make_da->parsed()) return run_image_command(image_args);
    if (usb_args.command->parsed()) return run_usb(app, serve_args, usb_args, argv);
    return serve(make_config(app, serve_args), serve_args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-sim: error: %s\n", e.what());
    return 1;
  }
}
