// The one end-to-end rig: a temp dir, the mtkfs-sim program serving a simulated eMMC on DIR/sim.sock,
// and the mtkfs program mounted on DIR/mnt, in the background (detached daemon) or the foreground
// (a MountProcess). The images are made by init() in DIR/device and DIR/da.bin, or come from
// elsewhere (a pattern disk's directory and DA file). The simulator can be killed and started again
// on the same socket.
//
// The destructor cleans up whatever a failed test left: the foreground mount (unmounted, killed after
// a bound), mounts under the temp dir (deepest first, lazily if needed), the mtkfs processes (reaped;
// killed after a bound), the simulator. With check_sanitizer_at_end(), a sanitizer report in the mount
// log then fails the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/mount_process.h"
#include "tests/support/run_program.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {

enum class Mode { background, foreground };
enum class Unmount { fusermount, umount, sigint, sigterm };

// Seconds to wait for any one program step; generous for the sanitizer build on a loaded machine.
inline constexpr std::chrono::seconds kProgramTimeout{120};

// A sanitizer report in a program's output (ASan/UBSan builds): the report's first line, or empty.
std::string sanitizer_report(const std::string& output);

class SimMountRig {
 public:
  // Images made by init() in DIR/device and DIR/da.bin.
  SimMountRig();
  // Images already made: the simulator's directory and the DA file.
  SimMountRig(std::filesystem::path device_dir, std::filesystem::path da);
  ~SimMountRig();
  SimMountRig(const SimMountRig&) = delete;
  SimMountRig& operator=(const SimMountRig&) = delete;

  // `mtkfs-sim init DIR/device ARGS...` and `mtkfs-sim make-da DIR/da.bin`; throws on failure.
  void init(const std::vector<std::string>& init_args);
  // `mtkfs-sim --dir DEVICE --socket DIR/sim.sock EXTRA...`; stops a simulator already running first.
  void start_sim(const std::vector<std::string>& extra_args = {});
  // The device vanishes at once (SIGKILL): the socket closes under mtkfs.
  void kill_sim();

  // mtkfs --socket S --da D [--log-file L in the background | -f] ARGS... DIR/mnt. Background:
  // returns once the starting process exited (its status and stderr in the result). Foreground:
  // returns once the mount is visible, the process ended or `startup_timeout` passed (exit_code -1
  // while it runs; the output so far in err).
  ProgramResult mount(const std::vector<std::string>& args, Mode mode = Mode::background,
                      std::chrono::milliseconds startup_timeout = kProgramTimeout);
  // Runs a program that starts an mtkfs daemon some other way (mount(8), mount.fuse3) and adopts
  // the daemon it leaves behind (found among this process's children).
  ProgramResult start_detached(const std::string& program, const std::vector<std::string>& args);

  // Ends the mount and returns the daemon's exit code (-1: killed or did not end in time).
  int unmount(Unmount how = Unmount::fusermount);

  // Fail the test (ADD_FAILURE) if the mount log holds a sanitizer report at the end.
  void check_sanitizer_at_end() { check_sanitizer_ = true; }

  bool mounted() const;  // DIR/mnt is an mtkfs mount now
  pid_t daemon_pid() const;
  // The foreground mount (mount(..., Mode::foreground) first).
  MountProcess& process();
  const MountProcess& process() const;
  std::string log() const;  // --log-file (background) or the foreground output

  std::string mnt(const std::string& relative = "") const;
  std::filesystem::path image(const std::string& name) const { return device_dir_ / name; }
  const std::string& da() const { return da_; }
  const std::string& socket() const { return socket_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  SimProcess& sim() { return *sim_; }

 private:
  bool daemon_running();
  std::optional<int> wait_daemon(std::chrono::milliseconds timeout);
  void clean_up_processes();

  TempDir dir_;
  std::filesystem::path device_dir_;
  std::string da_, socket_, mountpoint_, log_file_;
  std::optional<SimProcess> sim_;
  std::optional<MountProcess> foreground_;  // destroyed before sim_: its unmount may need the simulator
  pid_t daemon_ = -1;                        // an adopted (background) daemon
  std::optional<int> daemon_exit_;
  bool check_sanitizer_ = false;
};

}  // namespace mtkfs::testing
