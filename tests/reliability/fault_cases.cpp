#include "tests/reliability/fault_cases.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

namespace mtkfs::reliability {
namespace {

using Args = std::vector<std::string>;
using Calib = Calibration;

std::string num(std::uint64_t value) { return std::to_string(value); }

// "   1.470268 D>H D6 data 1048576: 00 00 ..." -> 1048576 (the size is the last word before the ':').
std::uint64_t unit_size(const std::string& line) {
  const auto colon = line.find(':');
  const auto space = line.rfind(' ', colon);
  if (colon == std::string::npos || space == std::string::npos) return 0;
  return std::stoull(line.substr(space + 1, colon - space - 1));
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::mount: return "mount";
    case Phase::sequential_read: return "seq read";
    case Phase::random_read: return "random read";
    case Phase::write_fsync: return "write+fsync";
  }
  return "?";
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return "ok (transparent)";
    case Outcome::io_error: return "EIO";
    case Outcome::retried_ok: return "EIO at fsync, retry ok";
    case Outcome::mount_fails: return "mount fails cleanly";
  }
  return "?";
}

TraceCounters count_trace(const std::filesystem::path& trace) {
  std::ifstream in(trace);
  if (!in) throw std::runtime_error("cannot read the trace " + trace.string());
  TraceCounters c;
  std::string line;
  while (std::getline(in, line)) {
    const auto dir = line.find("D>H ");
    if (dir != std::string::npos && dir < 16) {
      c.device_bytes += unit_size(line);
      if (line.find("D>H D6 data ") != std::string::npos) ++c.d6_chunks;
      continue;
    }
    const auto cmd = line.find("H>D DA command 1: ");
    if (cmd == std::string::npos) continue;
    ++c.da_commands;
    const std::string byte = line.substr(cmd + 18, 2);
    if (byte == "d6") ++c.d6_commands;
    if (byte == "60") ++c.switch_commands;
  }
  return c;
}

namespace {

// Fault options, fixed or placed relative to what the mount (m) or the write phase's writes (w) used.
using Faults = std::function<Args(const Calib&)>;
Faults fixed(Args args) {
  return [args](const Calib&) { return args; };
}
Faults chunk_after_mount(const char* option, std::uint64_t plus) {
  return [=](const Calib& c) { return Args{option, num(c.mount.d6_chunks + plus)}; };
}
Faults nack_after_mount(const char* command, bool switch_part, std::uint64_t plus, int count) {
  return [=](const Calib& c) {
    const std::uint64_t skip = (switch_part ? c.mount.switch_commands : c.mount.d6_commands) + plus;
    return Args{"--fault-nack", command, "--fault-nack-skip", num(skip), "--fault-nack-count", num(count)};
  };
}
Faults drop_after(bool after_writes, std::uint64_t plus) {
  return [=](const Calib& c) {
    return Args{"--fault-drop-after", num((after_writes ? c.writes_done : c.mount).device_bytes + plus)};
  };
}
Faults reenter_after(bool after_writes, std::uint64_t plus) {
  return [=](const Calib& c) {
    return Args{"--fault-reenter-preloader", num((after_writes ? c.writes_done : c.mount).da_commands + plus)};
  };
}

}  // namespace

// Placement: S = inside the sequential read, on data the reader needs (the 2nd chunk or 2nd read command
// after the mount, or 1.5 MiB into the first transfer: the reader reads 4 MiB, while the first load is one
// block plus the initial read-ahead window; a fault on read-ahead alone would be invisible to the reader),
// R = at the random read's first device access, W = at the write phase's first read-modify-write read
// (d6/60/chunks) or its first write-back (62, bytes, commands).
//
// With reconnecting, a lost link after the session is up is a pause: the interrupted command is repeated
// on the new session. Connecting is not covered (a loss during the handshake or the DA upload still fails
// the mount), and a fault that leaves the link up (checksums, NACKs, delays) ends as before.
std::vector<FaultCase> fault_cases() {
  const auto M = Phase::mount, S = Phase::sequential_read, R = Phase::random_read, W = Phase::write_fsync;
  const Expectation ok{Outcome::ok, true, false};
  const Expectation fails{Outcome::mount_fails, false, false}, fails_lost{Outcome::mount_fails, false, true};
  const Expectation eio_then_ok{Outcome::io_error, true, false}, eio_for_good{Outcome::io_error, false, false};
  const Expectation eio_lost{Outcome::io_error, false, true}, fsync_retried{Outcome::retried_ok, true, false};
  const Expectation resumed{Outcome::ok, true, false, true};
  return {
      {"corrupt-chunk", M, fixed({"--fault-corrupt-chunk", "0"}), ok, ok},
      {"corrupt-chunk", S, chunk_after_mount("--fault-corrupt-chunk", 1), ok, ok},
      {"corrupt-chunk", R, chunk_after_mount("--fault-corrupt-chunk", 0), ok, ok},
      {"corrupt-chunk", W, chunk_after_mount("--fault-corrupt-chunk", 0), ok, ok},

      {"corrupt-from", M, fixed({"--fault-corrupt-from", "0"}), fails, fails},
      {"corrupt-from", S, chunk_after_mount("--fault-corrupt-from", 1), eio_for_good, eio_for_good},
      {"corrupt-from", R, chunk_after_mount("--fault-corrupt-from", 0), eio_for_good, eio_for_good},
      {"corrupt-from", W, chunk_after_mount("--fault-corrupt-from", 0), eio_for_good, eio_for_good},

      {"drop-after", M, fixed({"--fault-drop-after", "200"}), fails_lost, fails_lost},
      {"drop-after", S, drop_after(false, 3 << 19), eio_lost, resumed},
      {"drop-after", R, drop_after(false, 5000), eio_lost, resumed},
      {"drop-after", W, drop_after(true, 2), eio_lost, resumed},

      {"nack d6", M, fixed({"--fault-nack", "d6"}), ok, ok},
      {"nack d6 x3", M, fixed({"--fault-nack", "d6", "--fault-nack-count", "3"}), fails, fails},
      {"nack d6", S, nack_after_mount("d6", false, 1, 1), eio_then_ok, eio_then_ok},
      {"nack d6", R, nack_after_mount("d6", false, 0, 1), eio_then_ok, eio_then_ok},
      {"nack d6", W, nack_after_mount("d6", false, 0, 1), eio_then_ok, eio_then_ok},

      {"nack 60", M, fixed({"--fault-nack", "60"}), ok, ok},
      {"nack 60 x3", M, fixed({"--fault-nack", "60", "--fault-nack-count", "3"}), fails, fails},
      {"nack 60", S, nack_after_mount("60", true, 1, 1), eio_then_ok, eio_then_ok},
      {"nack 60", R, nack_after_mount("60", true, 0, 1), eio_then_ok, eio_then_ok},
      {"nack 60", W, nack_after_mount("60", true, 0, 1), eio_then_ok, eio_then_ok},

      {"nack 62", W, fixed({"--fault-nack", "62"}), fsync_retried, fsync_retried},

      {"delay 1500ms", M, fixed({"--fault-delay", "1500"}), fails, fails},
      {"delay 20ms", S, fixed({"--fault-delay", "20"}), ok, ok},
      {"delay 20ms", R, fixed({"--fault-delay", "20"}), ok, ok},
      {"delay 20ms", W, fixed({"--fault-delay", "20"}), ok, ok},

      {"units split", M, fixed({"--fault-units", "split"}), ok, ok, true},
      {"units split", S, fixed({"--fault-units", "split"}), ok, ok, true},
      {"units split", R, fixed({"--fault-units", "split"}), ok, ok, true},
      {"units split", W, fixed({"--fault-units", "split"}), ok, ok, true},

      {"units merge", M, fixed({"--fault-units", "merge"}), ok, ok},
      {"units merge", S, fixed({"--fault-units", "merge"}), ok, ok},
      {"units merge", R, fixed({"--fault-units", "merge"}), ok, ok},
      {"units merge", W, fixed({"--fault-units", "merge"}), ok, ok},

      // The mount's session is up before its first DA command: a loss there is resumed like any other.
      {"reenter-preloader", M, fixed({"--fault-reenter-preloader", "1"}), fails_lost, resumed},
      {"reenter-preloader", S, reenter_after(false, 2), eio_lost, resumed},
      {"reenter-preloader", R, reenter_after(false, 0), eio_lost, resumed},
      {"reenter-preloader", W, reenter_after(true, 0), eio_lost, resumed},

      {"trailer prefixed", M, fixed({"--trailer", "prefixed"}), ok, ok},
  };
}

std::string column_name(Column column) {
  return "--reconnect " + num(column == Column::reconnect ? kReconnectSeconds : 0);
}

std::vector<std::string> sim_options(const FaultCase& fc, Column column, const Calibration& calibration) {
  Args args = fc.sim_faults(calibration);
  // Without a return time the socket device would be back at the very next connection: a dropped
  // device that comes back only after a while is the case worth waiting for.
  if (column == Column::reconnect && std::find(args.begin(), args.end(), "--fault-drop-after") != args.end())
    args.insert(args.end(), {"--fault-return-after", num(kReturnAfterMs)});
  return args;
}

std::vector<std::string> mount_options(Column column) {
  return {"--rw", "--reconnect", num(column == Column::reconnect ? kReconnectSeconds : 0)};
}

std::vector<NotApplicable> not_applicable_cases() {
  const std::string no_62 = "no 62 is sent: nothing is written outside the write phase";
  const std::string trailer = "the trailer is only sent while mounting (covered by the mount case)";
  return {
      {"nack 62", Phase::mount, no_62},
      {"nack 62", Phase::sequential_read, no_62},
      {"nack 62", Phase::random_read, no_62},
      {"trailer prefixed", Phase::sequential_read, trailer},
      {"trailer prefixed", Phase::random_read, trailer},
      {"trailer prefixed", Phase::write_fsync, trailer},
  };
}

}  // namespace mtkfs::reliability
