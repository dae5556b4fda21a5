// Processes and mounts for the end-to-end tests (tests/support/sim_mount_rig.h builds on them): the
// mtkfs daemon detaches from the process that started it, so the test process makes itself a child
// subreaper and finds the daemon among its own children; mounts are found in /proc/self/mountinfo.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mtkfs::testing {

// Orphaned descendants (a detached daemon) become children of this process, so they can be reaped
// and their exit status checked.
void become_subreaper();

// Live children of this process whose executable is `binary` (and, if given, whose command line
// contains `mentioning`).
std::vector<pid_t> children_running(const std::string& binary, const std::string& mentioning = "");

// waitpid with a bound; the wait status, or nullopt if the child is still running at the deadline.
std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout);

// SIGKILL and reap (for cleanup after a failure).
void kill_and_reap(pid_t pid);

// Mount points under `root` (root included), deepest first, and the file system type of one.
std::vector<std::string> mounts_under(const std::string& root);
std::optional<std::string> mount_type(const std::string& mountpoint);  // nullopt: not a mountpoint

// Unmounts everything under `root`, deepest first; lazily (MNT_DETACH) what is busy or dead.
void unmount_all_under(const std::string& root);

std::string read_text_file(const std::string& path);

}  // namespace mtkfs::testing
