#include "tests/reliability/fault_runner.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

constexpr milliseconds kPhaseBound{30000};  // a phase without an outcome by then counts as a hang
constexpr std::uint64_t kSeqOffset = 16 * kMiB;
constexpr std::uint64_t kRandomBegin = 24 * kMiB;
constexpr std::uint64_t kLaterOffset = 70 * kMiB;  // never read before in a case: the later read reaches the device
constexpr std::uint64_t kLaterCachedOffset = 64 * 1024;  // pattern after the GPT, in the block the mount read

std::vector<WriteOp> write_ops(std::uint64_t slot_offset, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  // Unaligned at both ends (read-modify-write reads), across a cache block boundary, two device writes.
  return {WriteOp{slot_offset + 100, random_bytes(rng, kMiB + 3000)},
          WriteOp{slot_offset + 2 * kMiB + 7, random_bytes(rng, 5000)}};
}

bool is_io_errno(int e) { return e == EIO || e == ENODEV; }

// An error line of the log, or the one-line message mtkfs prints when it gives up before mounting.
bool has_error_line(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("mtkfs: ", 0) != 0) continue;
    const std::string rest = line.substr(7);
    if (rest.rfind("info:", 0) != 0 && rest.rfind("warning:", 0) != 0 && rest.rfind("debug:", 0) != 0) return true;
  }
  return false;
}

// The mount still serves what needs no device I/O: the tree, attributes, device.txt.
bool mount_answers(MountProcess& mount) {
  auto answered = run_bounded<bool>(
      [&] {
        FuseFilesScope files;
        struct stat st {};
        if (::stat(mount.path("user_area.img").c_str(), &st) != 0 || st.st_size == 0) return false;
        DIR* dir = ::opendir(mount.mountpoint().c_str());
        if (!dir) return false;
        int entries = 0;
        while (::readdir(dir)) ++entries;
        ::closedir(dir);
        std::ifstream text(mount.path("device.txt"));
        std::string first_line;
        return entries >= 5 && std::getline(text, first_line) && !first_line.empty();
      },
      milliseconds(10000), [&] { mount.kill_hard(); });
  return answered.value_or(false);
}

Outcome classify_read(const ReadResult& r, std::vector<std::string>& failures) {
  if (r.wrong) failures.push_back("WRONG BYTE returned: " + *r.wrong);
  if (r.early_eof) failures.push_back("read returned 0 bytes inside the file");
  if (r.error == 0) return Outcome::ok;
  if (!is_io_errno(r.error)) failures.push_back(std::string("read failed with ") + std::strerror(r.error));
  return Outcome::io_error;
}

Outcome classify_write(const WriteResult& r, std::vector<std::string>& failures) {
  if (r.open_error) failures.push_back(std::string("open failed: ") + std::strerror(r.open_error));
  for (const int e : {r.first_write_error(), r.fsync_error, r.second_fsync_error, r.close_error})
    if (e > 0 && !is_io_errno(e)) failures.push_back(std::string("unexpected error ") + std::strerror(e));
  if (r.first_write_error() == 0 && r.fsync_error == 0) return Outcome::ok;
  if (r.first_write_error() == 0 && r.second_fsync_error == 0) return Outcome::retried_ok;
  return Outcome::io_error;
}

std::vector<Request> read_requests(const FaultCase& fc, std::size_t index) {
  // One-byte units cost a few microseconds per byte: there the phase stays inside one 1 MiB cache block.
  if (fc.phase == Phase::sequential_read)
    return fc.slow_units ? sequential_requests(kSeqOffset, 128 * 1024, 32 * 1024)
                         : sequential_requests(kSeqOffset, 4 * kMiB, 128 * 1024);
  return fc.slow_units ? random_requests(static_cast<std::uint32_t>(index), kRandomBegin, kRandomBegin + kMiB, 10, 8192)
                       : random_requests(static_cast<std::uint32_t>(index), kRandomBegin, kRandomBegin + 16 * kMiB, 60,
                                         64 * 1024);
}

// What status.txt says about the link must match what the phase went through: a user watching it
// sees a lost session as lost, and a resumed one counted.
void check_status(const Expectation& expect, MountProcess& mount, CaseReport& report) {
  const auto status = run_bounded<std::string>([&] { return read_status(mount.path("status.txt")); },
                                               milliseconds(10000), [&] { mount.kill_hard(); });
  const auto link = status_value(status.value_or(""), "link");
  const auto reconnects = status_value(status.value_or(""), "reconnects");
  if (!link || !reconnects) {
    report.failures.push_back("status.txt lacks the link or reconnects line");
    return;
  }
  const int count = std::atoi(reconnects->c_str());
  report.reconnects = std::to_string(count);
  const bool lost = link->rfind("lost", 0) == 0;
  if (lost != expect.link_lost || (!lost && *link != "connected"))
    report.failures.push_back("status.txt says link: " + *link);
  if ((count > 0) != expect.reconnected)
    report.failures.push_back("status.txt counts " + std::to_string(count) + " reconnects");
}

// After the phase: alive, answering, a later read of fresh data behaves as expected, status.txt tells
// the link's state, clean unmount.
void check_afterwards(const FaultCase& fc, const Expectation& expect, MountProcess& mount, CaseReport& report) {
  auto& failures = report.failures;
  if (!mount.alive()) failures.push_back("mtkfs died");
  if (!mount_answers(mount)) failures.push_back("the mount does not answer (stat/readdir/device.txt)");
  // With one-byte units a fresh block costs seconds; the phase itself already read through the device, so
  // there the later read takes pattern bytes of the block the mount loaded (after the GPT), from the cache.
  const std::uint64_t later_offset = fc.slow_units ? kLaterCachedOffset : kLaterOffset;
  auto later = run_bounded<ReadResult>(
      [&] { return read_and_verify(mount.path("user_area.img"), 0, {{later_offset, 64 * 1024}}); }, kPhaseBound,
      [&] { mount.kill_hard(); });
  if (!later) {
    failures.push_back("a later read hangs");
  } else {
    if (later->wrong) failures.push_back("WRONG BYTE in a later read: " + *later->wrong);
    if (later->error != 0 && !is_io_errno(later->error))
      failures.push_back(std::string("a later read failed with ") + std::strerror(later->error));
    report.later = later->error != 0 ? "EIO" : fc.slow_units ? "cache ok" : "reads ok";
    if ((later->error == 0) != expect.later_io_works)
      failures.push_back(std::string("a later read should ") + (expect.later_io_works ? "work" : "fail") + ", got " +
                         report.later);
    check_status(expect, mount, report);
  }
  if (!mount.unmount()) failures.push_back("mtkfs did not exit after the unmount");
  report.exit = std::to_string(mount.exit_code());
  if (!expect.link_lost && mount.exit_code() != 0) failures.push_back("non-zero exit status without a lost link");
}

}  // namespace

Calibration calibrate(const PatternDisk& disk) {
  SimMountRig rig(disk.dir(), disk.da());
  const fs::path trace = rig.dir() / "trace.txt";
  rig.start_sim({"--trace", trace.string()});
  rig.mount(mount_options(Column::no_reconnect), testing::Mode::foreground, std::chrono::seconds(30));
  MountProcess& mount = rig.process();
  if (!mount.mounted_at_start()) throw std::runtime_error("calibration mount failed:\n" + mount.log());
  Calibration calibration;
  calibration.mount = count_trace(trace);
  FuseFilesScope files;
  const int fd = ::open(mount.path("user_area.img").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("calibration: cannot open user_area.img");
  for (const auto& op : write_ops(kWriteSlotBase, 1)) {
    const ssize_t n = ::pwrite(fd, op.data.data(), op.data.size(), static_cast<off_t>(op.offset));
    if (n != static_cast<ssize_t>(op.data.size())) throw std::runtime_error("calibration: write failed");
  }
  calibration.writes_done = count_trace(trace);
  ::fsync(fd);
  ::close(fd);
  if (!mount.unmount()) throw std::runtime_error("calibration: mtkfs did not exit after the unmount");
  return calibration;
}

CaseReport run_case(const PatternDisk& disk, const Calibration& calibration, const FaultCase& fc, Column column,
                    std::size_t index, std::size_t write_slot) {
  SimMountRig rig(disk.dir(), disk.da());
  CaseReport report(fc.knob, phase_name(fc.phase), column);
  const Expectation& expect = fc.expected(column);
  auto& failures = report.failures;
  {
    SpawnScope spawn;
    rig.start_sim(sim_options(fc, column, calibration));
    rig.mount(mount_options(column), testing::Mode::foreground, milliseconds(0));
  }
  const auto start = Clock::now();
  MountProcess& mount = rig.process();
  mount.wait_started(kPhaseBound);
  std::optional<Outcome> outcome;
  const std::uint64_t slot = kWriteSlotBase + write_slot * kWriteSlotSize;
  std::optional<WriteResult> written;

  if (mount.start_result() == MountProcess::Start::timed_out) {
    failures.push_back("mtkfs neither mounted nor exited within the bound");
    mount.kill_hard();
  } else if (!mount.mounted_at_start()) {
    outcome = Outcome::mount_fails;
    report.seconds = seconds_since(start);
    report.exit = std::to_string(mount.exit_code());
    if (mount.exit_code() == 0) failures.push_back("mtkfs exited 0 without mounting");
  } else if (fc.phase == Phase::mount) {
    outcome = Outcome::ok;
    report.seconds = seconds_since(start);
  } else {
    const auto phase_start = Clock::now();
    const std::string image = mount.path("user_area.img");
    if (fc.phase == Phase::write_fsync) {
      written = run_bounded<WriteResult>([&] { return write_and_sync(image, write_ops(slot, 7 + index)); },
                                         kPhaseBound, [&] { mount.kill_hard(); });
      if (written) outcome = classify_write(*written, failures);
    } else {
      const auto requests = read_requests(fc, index);
      auto r = run_bounded<ReadResult>([&] { return read_and_verify(image, 0, requests); }, kPhaseBound,
                                       [&] { mount.kill_hard(); });
      if (r) outcome = classify_read(*r, failures);
    }
    report.seconds = seconds_since(phase_start);
    if (!outcome) failures.push_back("no outcome within the bound (hang)");
  }
  if (outcome && *outcome != Outcome::mount_fails && failures.empty()) check_afterwards(fc, expect, mount, report);

  report.log = mount.log();
  if (const std::string report_line = sanitizer_report(report.log); !report_line.empty())
    failures.push_back("sanitizer: " + report_line);
  if (written) {
    if (auto violation = check_written(disk, 0, slot - 64 * 1024, slot + kWriteSlotSize, *written))
      failures.push_back("image after the write phase: " + *violation);
    if (expect.link_lost && mount.exit_code() == 0) failures.push_back("unwritten data must make the unmount fail");
    if (expect.link_lost && report.log.find("never reached the device") == std::string::npos)
      failures.push_back("the unwritten data is not reported in the log");
  }
  if (outcome) {
    report.outcome = outcome_name(*outcome);
    if (*outcome != expect.outcome)
      failures.push_back(std::string("expected outcome: ") + outcome_name(expect.outcome));
    if (*outcome != Outcome::ok && !has_error_line(report.log)) failures.push_back("no log line for the failure");
  }
  if (fc.knob == "corrupt-chunk" && report.log.find("checksum") == std::string::npos)
    failures.push_back("the retried chunk is not logged");
  if (fc.phase == Phase::mount && outcome == Outcome::ok && fc.knob.rfind("nack", 0) == 0 &&
      report.log.find("reading the partition table") == std::string::npos)
    failures.push_back("the retried partition table read is not logged");
  return report;
}

}  // namespace mtkfs::reliability
