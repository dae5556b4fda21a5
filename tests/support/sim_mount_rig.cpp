#include "tests/support/sim_mount_rig.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <algorithm>
#include <stdexcept>

#include "tests/support/process_tools.h"
#include "tests/support/program_paths.h"

namespace mtkfs::testing {

std::string sanitizer_report(const std::string& output) {
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    const auto at = output.find(marker);
    if (at != std::string::npos) return output.substr(at, output.find('\n', at) - at);
  }
  return {};
}

SimMountRig::SimMountRig() : SimMountRig(std::filesystem::path(), std::filesystem::path()) {}

SimMountRig::SimMountRig(std::filesystem::path device_dir, std::filesystem::path da)
    : device_dir_(device_dir.empty() ? dir_ / "device" : std::move(device_dir)),
      da_((da.empty() ? dir_ / "da.bin" : da).string()),
      socket_((dir_ / "sim.sock").string()),
      mountpoint_((dir_ / "mnt").string()),
      log_file_((dir_ / "mtkfs.log").string()) {
  become_subreaper();
  std::filesystem::create_directories(mountpoint_);
}

SimMountRig::~SimMountRig() {
  clean_up_processes();
  if (check_sanitizer_) {
    const std::string report = sanitizer_report(log());
    if (!report.empty()) ADD_FAILURE() << "mtkfs sanitizer report: " << report;
  }
  // Then sim_ (SIGTERM, SIGKILL after a grace period) and the temp dir.
}

void SimMountRig::clean_up_processes() {
  foreground_.reset();  // its own cleanup: unmount, wait (bounded), SIGKILL
  unmount_all_under(dir_.path().string());
  if (daemon_ > 0 && !daemon_exit_ && !wait_child(daemon_, std::chrono::seconds(30))) kill_and_reap(daemon_);
  // Anything else of this rig's (a daemon the test never learned about): mtkfs children whose command
  // line names the temp dir. Other rigs of this process (worker threads) keep theirs.
  for (const pid_t pid : children_running(mtkfs_program(), dir_.path().string()))
    if (!wait_child(pid, std::chrono::seconds(10))) kill_and_reap(pid);
  unmount_all_under(dir_.path().string());
}

void SimMountRig::init(const std::vector<std::string>& init_args) {
  std::vector<std::string> args{"init", device_dir_.string()};
  args.insert(args.end(), init_args.begin(), init_args.end());
  const ProgramResult init = run_program(mtkfs_sim_program(), args, kProgramTimeout);
  if (init.exit_code != 0) throw std::runtime_error("mtkfs-sim init failed: " + init.err);
  const ProgramResult da = run_program(mtkfs_sim_program(), {"make-da", da_}, kProgramTimeout);
  if (da.exit_code != 0) throw std::runtime_error("mtkfs-sim make-da failed: " + da.err);
}

void SimMountRig::start_sim(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--dir", device_dir_.string(), "--socket", socket_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  sim_.reset();
  sim_.emplace(args);
}

void SimMountRig::kill_sim() {
  if (!sim_) return;
  ::kill(sim_->pid(), SIGKILL);
  sim_->wait_exit(std::chrono::seconds(10));
  sim_.reset();
}

ProgramResult SimMountRig::mount(const std::vector<std::string>& args, Mode mode,
                                 std::chrono::milliseconds startup_timeout) {
  if (daemon_running()) throw std::logic_error("SimMountRig: a mount is already running");
  std::vector<std::string> full{"--socket", socket_, "--da", da_};
  if (mode == Mode::background) {
    full.push_back("--log-file");
    full.push_back(log_file_);
    full.insert(full.end(), args.begin(), args.end());
    full.push_back(mountpoint_);
    return start_detached(mtkfs_program(), full);
  }
  full.insert(full.end(), args.begin(), args.end());
  daemon_ = -1;
  daemon_exit_.reset();
  foreground_.reset();
  foreground_.emplace(full, mountpoint_, log_file_, startup_timeout);  // adds -f and the mountpoint
  ProgramResult r;
  r.exit_code = foreground_->exit_code();
  r.err = foreground_->log();
  return r;
}

ProgramResult SimMountRig::start_detached(const std::string& program, const std::vector<std::string>& args) {
  if (daemon_running()) throw std::logic_error("SimMountRig: a mount is already running");
  foreground_.reset();
  daemon_ = -1;
  daemon_exit_.reset();
  const auto before = children_running(mtkfs_program());
  ProgramResult r = run_program(program, args, kProgramTimeout);
  for (const pid_t pid : children_running(mtkfs_program()))
    if (std::find(before.begin(), before.end(), pid) == before.end()) daemon_ = pid;
  return r;
}

int SimMountRig::unmount(Unmount how) {
  if (daemon_exit_) return *daemon_exit_;
  if (foreground_ && foreground_->wait_status() != -1) return foreground_->exit_code();
  switch (how) {
    case Unmount::fusermount: {
      const ProgramResult r = run_program("/usr/bin/fusermount3", {"-u", mountpoint_}, kProgramTimeout);
      if (r.exit_code != 0) throw std::runtime_error("fusermount3 -u failed: " + r.err);
      break;
    }
    case Unmount::umount:
      if (::umount2(mountpoint_.c_str(), 0) != 0) throw std::runtime_error("umount failed");
      break;
    case Unmount::sigint:
    case Unmount::sigterm:
      if (daemon_pid() <= 0) throw std::logic_error("no mtkfs process to signal");
      ::kill(daemon_pid(), how == Unmount::sigint ? SIGINT : SIGTERM);
      break;
  }
  if (daemon_pid() <= 0) return -1;
  return wait_daemon(kProgramTimeout).value_or(-1);
}

// The daemon's exit code once it ended within `timeout` (-1 if a signal ended it); nullopt if not.
std::optional<int> SimMountRig::wait_daemon(std::chrono::milliseconds timeout) {
  if (foreground_) {
    if (!foreground_->wait_exit(timeout)) return std::nullopt;
    return foreground_->exit_code();
  }
  const auto status = wait_child(daemon_, timeout);
  if (!status) return std::nullopt;
  daemon_exit_ = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return daemon_exit_;
}

bool SimMountRig::daemon_running() {
  if (foreground_) return foreground_->alive();
  return daemon_ > 0 && !daemon_exit_;
}

bool SimMountRig::mounted() const {
  return mount_type(mountpoint_) == std::optional<std::string>("fuse.mtkfs");
}

pid_t SimMountRig::daemon_pid() const { return foreground_ ? foreground_->pid() : daemon_; }

MountProcess& SimMountRig::process() {
  if (!foreground_) throw std::logic_error("SimMountRig: no foreground mount");
  return *foreground_;
}

const MountProcess& SimMountRig::process() const {
  if (!foreground_) throw std::logic_error("SimMountRig: no foreground mount");
  return *foreground_;
}

std::string SimMountRig::log() const { return read_text_file(log_file_); }

std::string SimMountRig::mnt(const std::string& relative) const {
  return relative.empty() ? mountpoint_ : mountpoint_ + "/" + relative;
}

}  // namespace mtkfs::testing
