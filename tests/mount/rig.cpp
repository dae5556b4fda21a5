#include "tests/mount/rig.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "tests/mount/process_tools.h"
#include "tests/support/program_paths.h"

namespace mtkfs::testing {

Rig::Rig()
    : device_dir_(dir_ / "device"),
      da_((dir_ / "da.bin").string()),
      socket_((dir_ / "sim.sock").string()),
      mountpoint_((dir_ / "mnt").string()),
      log_file_((dir_ / "mtkfs.log").string()),
      output_file_((dir_ / "mtkfs.out").string()) {
  become_subreaper();
  std::filesystem::create_directories(mountpoint_);
}

Rig::~Rig() {
  unmount_all_under(dir_.path().string());
  if (daemon_ > 0 && !daemon_exit_ && !wait_child(daemon_, std::chrono::seconds(30))) kill_and_reap(daemon_);
  // Anything else of ours (a daemon the test never learned about).
  for (const pid_t pid : children_running(mtkfs_program()))
    if (!wait_child(pid, std::chrono::seconds(10))) kill_and_reap(pid);
  unmount_all_under(dir_.path().string());
}

void Rig::init(const std::vector<std::string>& init_args) {
  std::vector<std::string> args{"init", device_dir_.string()};
  args.insert(args.end(), init_args.begin(), init_args.end());
  const ProgramResult init = run_program(mtkfs_sim_program(), args, kProgramTimeout);
  if (init.exit_code != 0) throw std::runtime_error("mtkfs-sim init failed: " + init.err);
  const ProgramResult da = run_program(mtkfs_sim_program(), {"make-da", da_}, kProgramTimeout);
  if (da.exit_code != 0) throw std::runtime_error("mtkfs-sim make-da failed: " + da.err);
}

void Rig::start_sim(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--dir", device_dir_.string(), "--socket", socket_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  sim_.emplace(args);
}

ProgramResult Rig::mount(const std::vector<std::string>& args, Mode mode) {
  if (daemon_ > 0 && !daemon_exit_) throw std::logic_error("Rig: a mount is already running");
  std::vector<std::string> full{"--socket", socket_, "--da", da_};
  if (mode == Mode::background) {
    full.push_back("--log-file");
    full.push_back(log_file_);
  } else {
    full.push_back("-f");
  }
  full.insert(full.end(), args.begin(), args.end());
  full.push_back(mountpoint_);

  if (mode == Mode::background) return start_detached(mtkfs_program(), full);

  ProgramResult r;
  daemon_exit_.reset();
  daemon_ = spawn(mtkfs_program(), full, output_file_);
  const auto deadline = std::chrono::steady_clock::now() + kProgramTimeout;
  while (!mounted() && std::chrono::steady_clock::now() < deadline) {
    if (const auto status = wait_child(daemon_, std::chrono::milliseconds(0))) {
      daemon_exit_ = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
      r.exit_code = *daemon_exit_;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.err = read_text_file(output_file_);
  return r;
}

ProgramResult Rig::start_detached(const std::string& program, const std::vector<std::string>& args) {
  if (daemon_ > 0 && !daemon_exit_) throw std::logic_error("Rig: a mount is already running");
  daemon_ = -1;
  daemon_exit_.reset();
  const auto before = children_running(mtkfs_program());
  ProgramResult r = run_program(program, args, kProgramTimeout);
  for (const pid_t pid : children_running(mtkfs_program()))
    if (std::find(before.begin(), before.end(), pid) == before.end()) daemon_ = pid;
  return r;
}

int Rig::unmount(Unmount how) {
  if (daemon_exit_) return *daemon_exit_;
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
      if (daemon_ <= 0) throw std::logic_error("no mtkfs process to signal");
      ::kill(daemon_, how == Unmount::sigint ? SIGINT : SIGTERM);
      break;
  }
  if (daemon_ <= 0) return -1;
  const auto status = wait_child(daemon_, kProgramTimeout);
  if (!status) return -1;
  daemon_exit_ = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return *daemon_exit_;
}

bool Rig::mounted() const { return mount_type(mountpoint_) == std::optional<std::string>("fuse.mtkfs"); }

std::string Rig::log() const {
  return read_text_file(std::filesystem::exists(log_file_) ? log_file_ : output_file_);
}

std::string Rig::mnt(const std::string& relative) const {
  return relative.empty() ? mountpoint_ : mountpoint_ + "/" + relative;
}

}  // namespace mtkfs::testing
