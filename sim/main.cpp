// mtkfs-sim: serve the simulated NW-A50 on a UNIX socket or a pty; `init` / `make-da` build its images.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "sim/sim.h"
#ifdef MTKFS_SIM_HAVE_IMAGE
#include "sim/image/image.h"
#endif

namespace {

using namespace mtkfs::sim;

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

std::optional<std::uint64_t> size_option(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_size(text);
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

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("mtkfs-sim");
  spdlog::set_default_logger(logger);

  CLI::App app{"mtkfs-sim: a simulated Sony NW-A50 (MT8590) in Preloader download mode with a legacy DA"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("mtkfs-sim ") + MTKFS_VERSION,
                       "print the version and exit");

  SimConfig config;
  std::string dir, socket_path, link_path, user_size_text, profile, da_file, trailer = "plain";
  std::string nack_text, units_text = "none", drop_text, link_model = "none", trace_file, pieces_text;
  bool use_pty = false, no_swallow = false, ready = false, keep_on_close = false, verbose = false;
  std::uint64_t corrupt_chunk = 0, corrupt_from = 0, reenter_after = 0;
  unsigned delay_ms = 0;
  auto* opt_dir = app.add_option("--dir", dir, "directory with boot1.img boot2.img rpmb.img user.img");
  app.add_option("--socket", socket_path, "serve on this UNIX stream socket");
  app.add_flag("--pty", use_pty, "serve on a new pseudo-terminal");
  app.add_option("--link", link_path, "with --pty: symlink to the slave (e.g. /dev/ttyACM42)");
  app.add_option("--user-size", user_size_text, "user-area size (bytes, 0x.., k/M/G suffixes)");
  app.add_option("--profile", profile, "nw-a50-full: user area 0x3AB400000")->check(CLI::IsMember({"nw-a50-full"}));
  app.add_option("--da", da_file, "DA file whose MT8590 entry the uploads must match")->check(CLI::ExistingFile);
  app.add_flag("--ready", ready, "send READY strings while waiting for the handshake");
  app.add_flag("--no-swallow", no_swallow, "answer the very first A0 instead of swallowing it");
  app.add_option("--trailer,--da-trailer", trailer, "stage-2 report trailer")
      ->check(CLI::IsMember({"plain", "prefixed"}));
  app.add_option("--nand-id-count", config.nand_id_count, "DA1 sync NAND id count (default 7)");
  app.add_flag("--allow-rpmb", config.allow_rpmb, "let 60 03 select RPMB");
  app.add_flag("--speed-switch", config.speed_switch, "report full speed until 70 01 re-enumerates the DA");
  app.add_flag("--strict-config", config.strict_config, "check all 18 stage-2 config bytes");
  app.add_flag("--require-aligned", config.require_aligned, "NACK D6/62 ranges that are not sector aligned");
  app.add_flag("--strict-receiver", config.strict_receiver,
               "USB: the DA takes one host transfer per field and drops the rest of it");
  app.add_flag("--keep-state-on-close", keep_on_close, "a host closing the port does not reset the device");
  app.add_option("--fault-corrupt-chunk", corrupt_chunk, "wrong checksum for D6 chunk N (from 0)");
  app.add_option("--fault-corrupt-from", corrupt_from, "wrong checksum for every D6 chunk from N on");
  app.add_option("--fault-drop-after", drop_text, "drop the link after N device bytes");
  app.add_option("--fault-nack", nack_text, "NACK the first DA command with this byte (hex)");
  app.add_option("--fault-nack-count", config.faults.nack_count, "how many such commands to NACK");
  app.add_option("--fault-nack-skip", config.faults.nack_skip, "answer this many such commands normally first");
  app.add_option("--fault-delay", delay_ms, "delay every reply by MS milliseconds");
  app.add_option("--fault-units", units_text, "split: 1-byte units; merge: 512-byte packets")
      ->check(CLI::IsMember({"none", "split", "merge"}));
  app.add_option("--fault-reenter-preloader", reenter_after, "after N DA commands: fresh Preloader");
  app.add_option("--fault-d6-pieces", pieces_text,
                 "USB: each D6 chunk as N-byte transfers (random: random lengths), ZLP after whole packets");
  app.add_option("--link-model", link_model, "usb2-hs: ~40 MB/s + 150 us per transfer")
      ->check(CLI::IsMember({"none", "usb2-hs"}));
  app.add_option("--trace", trace_file, "log both directions to FILE");
  app.add_flag("--once", config.once, "serve one host session, then exit");
  app.add_flag("-v,--verbose", verbose, "debug logging");

  std::string init_dir, layout = "gpt", init_user_size, init_profile;
  bool pattern = false, mtk_last_size = false;
  auto* init = app.add_subcommand("init", "create the four region images");
  init->add_option("dir", init_dir, "target directory")->required();
  init->add_option("--layout", layout, "user-area partition table")->check(CLI::IsMember({"gpt", "mbr", "none"}));
  init->add_flag("--pattern", pattern, "fill regions with the address pattern");
  auto* init_size = init->add_option("--user-size", init_user_size, "user-area size");
  init->add_option("--profile", init_profile, "nw-a50-full")
      ->check(CLI::IsMember({"nw-a50-full"}))
      ->excludes(init_size);
  init->add_flag("--mtk-last-size", mtk_last_size, "ptgen-style 0xFFFFFFFF-based size for the last EBR entry");
  std::string da_out;
  auto* make_da = app.add_subcommand("make-da", "write the synthetic DA file of da-file.md §5");
  make_da->add_option("file", da_out, "output file")->required();

  CLI11_PARSE(app, argc, argv);
  if (verbose) spdlog::set_level(spdlog::level::debug);

  try {
    if (init->parsed() || make_da->parsed()) {
#ifdef MTKFS_SIM_HAVE_IMAGE
      if (make_da->parsed()) {
        image::write_synthetic_da(da_out);
        std::printf("mtkfs-sim: wrote %s\n", da_out.c_str());
        return 0;
      }
      image::InitOptions options;
      options.dir = init_dir;
      options.layout = layout == "mbr" ? image::Layout::mbr : layout == "none" ? image::Layout::none : image::Layout::gpt;
      options.pattern = pattern;
      options.mtk_last_size = mtk_last_size;
      if (!init_profile.empty()) options.user_size = kNwA50UserSize;
      if (!init_user_size.empty()) options.user_size = parse_size(init_user_size);
      image::init_disk(options);
      std::printf("mtkfs-sim: initialised %s\n", init_dir.c_str());
      return 0;
#else
      throw std::runtime_error("this mtkfs-sim was built without sim/image (init/make-da unavailable)");
#endif
    }

    if (opt_dir->count() == 0) throw std::invalid_argument("--dir is required");
    if (use_pty == !socket_path.empty()) throw std::invalid_argument("give exactly one of --socket PATH and --pty");
    if (!link_path.empty() && !use_pty) throw std::invalid_argument("--link needs --pty");
    if (!profile.empty() && !user_size_text.empty()) throw std::invalid_argument("--profile and --user-size exclude each other");
    config.dir = dir;
    config.user_size = size_option(user_size_text);
    if (!profile.empty()) config.user_size = kNwA50UserSize;
    if (!da_file.empty()) config.da_file = da_file;
    if (ready) config.ready = true;
    config.swallow_first_a0 = !no_swallow;
    config.trailer = trailer == "prefixed" ? Trailer::prefixed : Trailer::plain;
    if (keep_on_close) config.reset_on_host_close = false;
    if (app.count("--fault-corrupt-chunk")) config.faults.corrupt_chunk = corrupt_chunk;
    if (app.count("--fault-corrupt-from")) config.faults.corrupt_from_chunk = corrupt_from;
    config.faults.drop_after_bytes = size_option(drop_text);
    if (!nack_text.empty()) config.faults.nack_command = parse_command_byte(nack_text);
    config.faults.delay = std::chrono::milliseconds(delay_ms);
    config.faults.units = units_text == "split" ? UnitFault::split : units_text == "merge" ? UnitFault::merge : UnitFault::none;
    if (app.count("--fault-reenter-preloader")) config.faults.reenter_preloader_after = reenter_after;
    if (pieces_text == "random") {
      config.faults.d6_pieces = 0;
    } else if (!pieces_text.empty()) {
      config.faults.d6_pieces = parse_size(pieces_text);
      if (*config.faults.d6_pieces == 0) throw std::invalid_argument("--fault-d6-pieces wants N > 0 or 'random'");
    }
    config.link_model = link_model == "usb2-hs" ? LinkModel::usb2_hs : LinkModel::none;
    if (!trace_file.empty()) config.trace_path = trace_file;

    // Signals are taken synchronously by the main thread; the server threads inherit the blocked mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    if (use_pty) {
      PtyServer server(config, link_path.empty() ? std::nullopt : std::optional<std::filesystem::path>(link_path));
      std::printf("mtkfs-sim: pty %s\n", server.slave_path().c_str());
      std::fflush(stdout);
      serve_until_done(server);
    } else {
      SocketServer server(config, socket_path);
      std::printf("mtkfs-sim: listening on socket %s\n", socket_path.c_str());
      std::fflush(stdout);
      serve_until_done(server);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-sim: error: %s\n", e.what());
    return 1;
  }
}
