// The fault matrix: every mtkfs-sim fault knob x the moment it strikes (mount, sequential read, random
// read, write + fsync), with the outcome each case must end in, once with mtkfs failing at a lost link
// (--reconnect 0) and once with mtkfs waiting for the device to come back (Column).
//
// Fault counters in the simulator run over its whole life, so a fault meant for a phase after the mount
// is placed relative to what the mount itself used. Those amounts are measured once, from a --trace of a
// fault-free mount plus the write phase's writes (Calibration).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mtkfs::reliability {

enum class Phase { mount, sequential_read, random_read, write_fsync };
const char* phase_name(Phase phase);

// What the phase itself must end in.
enum class Outcome {
  ok,           // transparent: every call succeeded, every byte right
  io_error,     // a read/write/fsync failed with EIO (or ENODEV/ENOTCONN), never a wrong byte
  retried_ok,   // a failed fsync, then the retried fsync succeeded (the data was kept, not dropped)
  mount_fails,  // mtkfs exited non-zero with an error message before mounting
};
const char* outcome_name(Outcome outcome);

// Counters of a simulator trace (sim/trace.cpp format).
struct TraceCounters {
  std::uint64_t da_commands = 0;
  std::uint64_t d6_commands = 0;
  std::uint64_t switch_commands = 0;  // 60
  std::uint64_t d6_chunks = 0;
  std::uint64_t device_bytes = 0;  // device -> host
};
TraceCounters count_trace(const std::filesystem::path& trace);

struct Calibration {
  TraceCounters mount;        // after a mount
  TraceCounters writes_done;  // after the write phase's pwrite calls, before its fsync
};

// What a case must end in.
struct Expectation {
  Outcome outcome;
  bool later_io_works;  // after the phase, a read of fresh data succeeds (else it must fail with EIO)
  bool link_lost;       // the DA session is gone for good after the fault (status.txt: "link: lost")
  bool reconnected = false;  // status.txt counts a reconnect after the phase (else none)
};

// How mtkfs meets a lost link: fails at once (--reconnect 0, as before reconnecting existed), or waits
// for the device, which the simulator brings back after kReturnAfterMs when a drop knob took it away.
enum class Column { no_reconnect, reconnect };
inline constexpr Column kColumns[] = {Column::no_reconnect, Column::reconnect};
// Below the runner's 30 s phase bound: a device that never comes back still ends in EIO, not a hang.
inline constexpr int kReconnectSeconds = 20;
inline constexpr int kReturnAfterMs = 300;
std::string column_name(Column column);

struct FaultCase {
  std::string knob;  // as shown in the table
  Phase phase;
  std::function<std::vector<std::string>(const Calibration&)> sim_faults;  // mtkfs-sim fault options
  Expectation expect;            // Column::no_reconnect
  Expectation expect_reconnect;  // Column::reconnect
  bool slow_units = false;       // one-byte units: keep the data volume small

  const Expectation& expected(Column column) const { return column == Column::reconnect ? expect_reconnect : expect; }
};

std::vector<FaultCase> fault_cases();

// The simulator's and mtkfs' options of a case in a column.
std::vector<std::string> sim_options(const FaultCase& fault, Column column, const Calibration& calibration);
std::vector<std::string> mount_options(Column column);

// Cases the matrix lists without running: the knob cannot strike in that phase.
struct NotApplicable {
  std::string knob;
  Phase phase;
  std::string why;
};
std::vector<NotApplicable> not_applicable_cases();

}  // namespace mtkfs::reliability
