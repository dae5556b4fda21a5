// Fault matrix: every mtkfs-sim fault knob x (mount, sequential read, random read, write + fsync) against
// the real mtkfs and mtkfs-sim programs. Each case must end in its expected clean outcome: EIO to the
// caller or a transparent retry, a log line saying what happened, mtkfs alive and the mount answering,
// a clean unmount, and never a wrong byte (every byte read() returned is checked against the pattern;
// written data is checked on the simulator's image).
//
// The cases are independent (own simulator, socket, mountpoint and write slot; they share the read-only
// parts of one pattern image), so the suite runs them on $MTKFS_RELIABILITY_JOBS worker threads (default
// 2) before the tests report them one by one. The table (case, outcome, time to outcome) goes to stdout
// and to fault_matrix.txt in the build directory.
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
std::vector<CaseReport> g_reports;  // one per fault_cases() entry

unsigned worker_count() {
  const char* text = std::getenv("MTKFS_RELIABILITY_JOBS");
  const int jobs = text ? std::atoi(text) : 2;
  return static_cast<unsigned>(std::clamp(jobs, 1, 8));
}

std::string case_name(std::size_t index) {
  const FaultCase fc = fault_cases()[index];
  std::string name = fc.knob + "_" + phase_name(fc.phase);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// The cases a --gtest_filter selected (all by default).
std::vector<bool> selected_cases(std::size_t count) {
  std::vector<bool> selected(count, false);
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit->total_test_suite_count(); ++s) {
    const auto* suite = unit->GetTestSuite(s);
    for (int t = 0; t < suite->total_test_count(); ++t) {
      const auto* info = suite->GetTestInfo(t);
      for (std::size_t i = 0; i < count; ++i)
        if (info->should_run() && std::string(info->name()) == "EndsCleanly/" + case_name(i)) selected[i] = true;
    }
  }
  return selected;
}

void run_all_cases() {
  const auto cases = fault_cases();
  const std::vector<bool> selected = selected_cases(cases.size());
  std::vector<std::size_t> slots(cases.size());
  std::size_t next_slot = 1;  // slot 0 belongs to the calibration
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (cases[i].phase == Phase::write_fsync) slots[i] = next_slot++;
  if (kWriteSlotBase + (next_slot + 1) * kWriteSlotSize > g_disk->user_size() - 2 * kMiB)
    throw std::logic_error("the write slots do not fit in the user area");

  const Calibration calibration = calibrate(*g_disk);
  std::printf("calibration: the mount uses %llu DA commands, %llu D6 chunks, %llu device bytes\n",
              static_cast<unsigned long long>(calibration.mount.da_commands),
              static_cast<unsigned long long>(calibration.mount.d6_chunks),
              static_cast<unsigned long long>(calibration.mount.device_bytes));
  g_reports.assign(cases.size(), CaseReport());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < cases.size();) {
      if (!selected[i]) continue;
      try {
        g_reports[i] = run_case(*g_disk, calibration, cases[i], i, slots[i]);
      } catch (const std::exception& e) {
        g_reports[i] = CaseReport(cases[i].knob, phase_name(cases[i].phase));
        g_reports[i].failures.push_back(std::string("the case could not run: ") + e.what());
      }
    }
  };
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < worker_count(); ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
}

std::string table() {
  std::string out = "fault matrix: mtkfs-sim fault knob x phase; time = from mtkfs start (mount) or phase start to "
                    "the outcome\n";
  char line[320];
  std::snprintf(line, sizeof line, "%-18s %-12s %-24s %8s  %-9s %-5s %s\n", "knob", "phase", "outcome", "time",
                "later I/O", "exit", "result");
  out += line;
  for (const CaseReport& r : g_reports) {
    if (r.knob.empty()) continue;  // not selected by the filter
    std::snprintf(line, sizeof line, "%-18s %-12s %-24s %7.2fs  %-9s %-5s %s\n", r.knob.c_str(), r.phase.c_str(),
                  r.outcome.c_str(), r.seconds, r.later.c_str(), r.exit.c_str(),
                  r.failures.empty() ? "pass" : ("FAIL: " + r.failures.front()).c_str());
    out += line;
  }
  for (const auto& na : not_applicable_cases()) {
    std::snprintf(line, sizeof line, "%-18s %-12s n/a: %s\n", na.knob.c_str(), phase_name(na.phase), na.why.c_str());
    out += line;
  }
  return out;
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
    ADD_FAILURE() << report.knob << " during " << report.phase << ": " << failure << "\nmtkfs output:\n" << report.log;
}

INSTANTIATE_TEST_SUITE_P(AllKnobs, FaultMatrix, ::testing::Range<std::size_t>(0, fault_cases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) { return case_name(info.param); });

}  // namespace
}  // namespace mtkfs::reliability
