// Runs one fault-matrix case end to end (its own mtkfs-sim and mtkfs processes) and reports what
// happened, without GoogleTest assertions, so cases can run on worker threads.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/reliability/fault_cases.h"
#include "tests/reliability/reliability_support.h"

namespace mtkfs::reliability {

struct CaseReport {
  CaseReport() = default;
  CaseReport(std::string k, std::string p, Column c) : knob(std::move(k)), phase(std::move(p)), column(c) {}
  std::string knob, phase;
  Column column = Column::no_reconnect;
  std::string outcome = "-";  // outcome_name() of what happened
  std::string later = "-";    // a later read of fresh data: "reads ok" / "EIO"
  std::string exit = "-";     // mtkfs exit status
  std::string reconnects = "-";  // status.txt's count after the phase
  double seconds = 0;         // time to the outcome: from mtkfs start (mount) or from the phase start
  std::vector<std::string> failures;  // empty = the case ended as it must
  std::string log;                    // mtkfs' output, for failure messages
};

// Measures what a fault-free mount and the write phase's writes use (see fault_cases.h).
Calibration calibrate(const PatternDisk& disk);

// `index`: position in fault_cases() (seeds); `write_slot`: 4 MiB area of its own for a write phase.
CaseReport run_case(const PatternDisk& disk, const Calibration& calibration, const FaultCase& fault, Column column,
                    std::size_t index, std::size_t write_slot);

// Write slots start here (slot 0 is the calibration's); reads stay below the "android" partition.
inline constexpr std::uint64_t kWriteSlotBase = 150 * kMiB;
inline constexpr std::uint64_t kWriteSlotSize = 4 * kMiB;

}  // namespace mtkfs::reliability
