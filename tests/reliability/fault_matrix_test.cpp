// Fault matrix: every mtkfs-sim fault knob x (mount, sequential read, random read, write + fsync) against
// the real mtkfs and mtkfs-sim programs, each case twice: mtkfs failing at a lost link (--reconnect 0)
// and mtkfs waiting for the device to come back. Each run must end in its column's expected clean
// outcome: EIO to the caller or a transparent retry, a log line saying what happened, mtkfs alive and the
// mount answering, status.txt telling the link's state, a clean unmount, and never a wrong byte (every
// byte read() returned is checked against the pattern; written data is checked on the simulator's image).
//
// The runs are independent (own simulator, socket, mountpoint and write slot; they share the read-only
// parts of one pattern image), so the suite runs them on $MTKFS_RELIABILITY_JOBS worker threads (default
// 2) before the tests report them one by one. The table (case, and per column: outcome, time to outcome)
// goes to stdout and to fault_matrix.txt in the build directory.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "tests/reliability/fault_runner.h"
#include "tests/support/requirements.h"

namespace mtkfs::reliability {
namespace {

std::unique_ptr<PatternDisk> g_disk;
// Test parameter k: case k % cases in column k / cases (kColumns); one report each.
std::vector<CaseReport> g_reports;
const std::size_t g_case_count = fault_cases().size();

Column column_of(std::size_t run) { return kColumns[run / g_case_count]; }

unsigned worker_count() {
  const char* text = std::getenv("MTKFS_RELIABILITY_JOBS");
  const int jobs = text ? std::atoi(text) : 2;
  return static_cast<unsigned>(std::clamp(jobs, 1, 8));
}

std::string run_name(std::size_t run) {
  const FaultCase fc = fault_cases()[run % g_case_count];
  std::string name = std::string(column_of(run) == Column::reconnect ? "reconnect_on_" : "reconnect_off_") + fc.knob +
                     "_" + phase_name(fc.phase);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// The runs a --gtest_filter selected (all by default).
std::vector<bool> selected_runs(std::size_t count) {
  std::vector<bool> selected(count, false);
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit->total_test_suite_count(); ++s) {
    const auto* suite = unit->GetTestSuite(s);
    for (int t = 0; t < suite->total_test_count(); ++t) {
      const auto* info = suite->GetTestInfo(t);
      for (std::size_t i = 0; i < count; ++i)
        if (info->should_run() && std::string(info->name()) == "EndsCleanly/" + run_name(i)) selected[i] = true;
    }
  }
  return selected;
}

void run_all_cases() {
  const auto cases = fault_cases();
  const std::size_t runs = cases.size() * std::size(kColumns);
  const std::vector<bool> selected = selected_runs(runs);
  std::vector<std::size_t> slots(runs);
  std::size_t next_slot = 1;  // slot 0 belongs to the calibration
  for (std::size_t k = 0; k < runs; ++k)
    if (cases[k % cases.size()].phase == Phase::write_fsync) slots[k] = next_slot++;
  if (kWriteSlotBase + (next_slot + 1) * kWriteSlotSize > g_disk->user_size() - 2 * kMiB)
    throw std::logic_error("the write slots do not fit in the user area");

  const Calibration calibration = calibrate(*g_disk);
  std::printf("calibration: the mount uses %llu DA commands, %llu D6 chunks, %llu device bytes\n",
              static_cast<unsigned long long>(calibration.mount.da_commands),
              static_cast<unsigned long long>(calibration.mount.d6_chunks),
              static_cast<unsigned long long>(calibration.mount.device_bytes));
  g_reports.assign(runs, CaseReport());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k; (k = next++) < runs;) {
      if (!selected[k]) continue;
      const FaultCase& fc = cases[k % cases.size()];
      try {
        g_reports[k] = run_case(*g_disk, calibration, fc, column_of(k), k % cases.size(), slots[k]);
      } catch (const std::exception& e) {
        g_reports[k] = CaseReport(fc.knob, phase_name(fc.phase), column_of(k));
        g_reports[k].failures.push_back(std::string("the case could not run: ") + e.what());
      }
    }
  };
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < worker_count(); ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
}

// One column's cells of a row: outcome, time, later I/O, exit status, reconnects, pass/FAIL.
std::string cells(const CaseReport& r) {
  char text[160];
  if (r.knob.empty()) {  // not selected by the filter
    std::snprintf(text, sizeof text, "%-22s %7s %-9s %4s %5s %-4s", "-", "", "", "", "", "");
  } else {
    std::snprintf(text, sizeof text, "%-22s %6.2fs %-9s %4s %5s %-4s", r.outcome.c_str(), r.seconds, r.later.c_str(),
                  r.exit.c_str(), r.reconnects.c_str(), r.failures.empty() ? "pass" : "FAIL");
  }
  return text;
}

std::string table() {
  std::string out = "fault matrix: mtkfs-sim fault knob x phase, with mtkfs failing at a lost link (" +
                    column_name(Column::no_reconnect) + ") and waiting for the device (" +
                    column_name(Column::reconnect) + "; a dropped device is back after " +
                    std::to_string(kReturnAfterMs) + " ms); time = from mtkfs start (mount) or phase start to the "
                    "outcome; recon = reconnects in status.txt\n";
  char line[400];
  std::snprintf(line, sizeof line, "%-18s %-12s | %-56s | %s\n", "", "", column_name(Column::no_reconnect).c_str(),
                column_name(Column::reconnect).c_str());
  out += line;
  std::string head;
  for ([[maybe_unused]] const Column column : kColumns) {
    std::snprintf(line, sizeof line, " | %-22s %7s %-9s %4s %5s %-4s", "outcome", "time", "later I/O", "exit", "recon",
                  "res.");
    head += line;
  }
  std::snprintf(line, sizeof line, "%-18s %-12s%s\n", "knob", "phase", head.c_str());
  out += line;
  std::string failures;
  for (std::size_t i = 0; i < g_case_count && !g_reports.empty(); ++i) {
    const CaseReport& off = g_reports[i];
    const CaseReport& on = g_reports[g_case_count + i];
    const CaseReport& named = off.knob.empty() ? on : off;
    if (named.knob.empty()) continue;
    std::snprintf(line, sizeof line, "%-18s %-12s | %s | %s\n", named.knob.c_str(), named.phase.c_str(),
                  cells(off).c_str(), cells(on).c_str());
    out += line;
    for (const CaseReport* r : {&off, &on})
      for (const std::string& failure : r->failures)
        failures += "FAIL " + r->knob + " / " + r->phase + " / " + column_name(r->column) + ": " + failure + "\n";
  }
  for (const auto& na : not_applicable_cases()) {
    std::snprintf(line, sizeof line, "%-18s %-12s n/a: %s\n", na.knob.c_str(), phase_name(na.phase), na.why.c_str());
    out += line;
  }
  return out + failures;
}

class FaultMatrix : public ::testing::TestWithParam<std::size_t> {
 public:
  static void SetUpTestSuite() {
    if (!mtkfs::testing::missing_fuse().empty()) return;  // every case then skips (or fails in CI) on its own
    g_disk = std::make_unique<PatternDisk>();
    run_all_cases();
  }
  static void TearDownTestSuite() {
    const std::string text = table();
    std::fputs(text.c_str(), stdout);
#ifdef MTKFS_FAULT_MATRIX_REPORT
    std::ofstream(MTKFS_FAULT_MATRIX_REPORT) << text;
#endif
    g_disk.reset();
  }
};

TEST_P(FaultMatrix, EndsCleanly) {
  if (!mtkfs::testing::require_fuse()) return;
  ASSERT_LT(GetParam(), g_reports.size());
  const CaseReport& report = g_reports[GetParam()];
  for (const std::string& failure : report.failures)
    ADD_FAILURE() << report.knob << " during " << report.phase << " with " << column_name(report.column) << ": "
                  << failure << "\nmtkfs output:\n" << report.log;
}

INSTANTIATE_TEST_SUITE_P(AllKnobs, FaultMatrix,
                         ::testing::Range<std::size_t>(0, g_case_count * std::size(kColumns)),
                         [](const ::testing::TestParamInfo<std::size_t>& info) { return run_name(info.param); });

}  // namespace
}  // namespace mtkfs::reliability
