// One end-to-end setup: a temp dir with the simulator's images and DA file, the mtkfs-sim program on
// a socket, and mtkfs mounted on DIR/mnt (in the background or the foreground). The destructor
// cleans up whatever a failed test left: mounts under the temp dir (deepest first, lazily if
// needed), the mtkfs processes (reaped; killed after a bound), the simulator.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/cli/run_program.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {

enum class Mode { background, foreground };
enum class Unmount { fusermount, umount, sigint, sigterm };

class Rig {
 public:
  Rig();
  ~Rig();
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  // `mtkfs-sim init DIR/device ARGS...` and `mtkfs-sim make-da DIR/da.bin`; throws on failure.
  void init(const std::vector<std::string>& init_args);
  // Serves DIR/device on DIR/sim.sock.
  void start_sim(const std::vector<std::string>& extra_args = {});

  // mtkfs --socket S --da D [--log-file L in the background] ARGS... DIR/mnt. Background: returns
  // once the starting process exited (its status and stderr in the result). Foreground: returns
  // once the mount is visible or the process ended (exit_code -1 while it runs).
  ProgramResult mount(const std::vector<std::string>& args, Mode mode = Mode::background);
  // Runs a program that starts an mtkfs daemon some other way (mount(8), mount.fuse3) and adopts
  // the daemon it leaves behind (found among this process's children).
  ProgramResult start_detached(const std::string& program, const std::vector<std::string>& args);

  // Ends the mount and returns the daemon's exit code (-1: killed or did not end in time).
  int unmount(Unmount how = Unmount::fusermount);

  bool mounted() const;
  pid_t daemon_pid() const { return daemon_; }
  std::string log() const;  // --log-file (background) or the captured stderr (foreground)

  std::string mnt(const std::string& relative = "") const;
  std::filesystem::path image(const std::string& name) const { return device_dir_ / name; }
  const std::string& da() const { return da_; }
  const std::string& socket() const { return socket_; }
  const TempDir& dir() const { return dir_; }
  SimProcess& sim() { return *sim_; }

 private:
  TempDir dir_;
  std::filesystem::path device_dir_;
  std::string da_, socket_, mountpoint_, log_file_, output_file_;
  std::optional<SimProcess> sim_;
  pid_t daemon_ = -1;
  std::optional<int> daemon_exit_;
};

// Seconds to wait for any one program step; generous for the sanitizer build on a loaded machine.
inline constexpr std::chrono::seconds kProgramTimeout{120};

}  // namespace mtkfs::testing
