// What a test needs from the machine (root, the kernel's FUSE, loop devices), checked in one place.
//
// Use at the top of a TEST body or in a fixture's SetUp():
//
//   if (!mtkfs::testing::require_fuse()) return;
//
// When the requirement is missing the test is skipped with the reason ("needs root: ..."), so a developer
// running the suite as a normal user sees why it did not run. With CI=true in the environment it is a
// fatal failure instead: CI never silently skips a test. Either way the body after SetUp() does not run.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace mtkfs::testing {

// True when the environment says this is CI (CI=true, as GitHub Actions, GitLab and most others set it).
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

// Empty when the machine has what the test needs, else why not.
inline std::string missing_root() {
  if (::geteuid() == 0) return {};
  return "needs root (mounting and loop devices are for root only); running as uid " + std::to_string(::geteuid());
}

inline std::string missing_fuse() {
  if (auto root = missing_root(); !root.empty()) return root;
  const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::string("needs /dev/fuse (the kernel's FUSE): ") + std::strerror(errno);
  ::close(fd);
  return {};
}

inline std::string missing_loop() {
  if (auto root = missing_root(); !root.empty()) return root;
  if (::access("/dev/loop-control", R_OK | W_OK) != 0)
    return std::string("needs loop devices (/dev/loop-control): ") + std::strerror(errno);
  return {};
}

// Records a skip (outside CI) or a fatal failure (CI=true) when `missing` is not empty; returns whether the
// test may go on. The skip or failure is recorded for the running test, so the caller just returns.
inline bool require(const std::string& missing, const std::string& what_for = {}) {
  if (missing.empty()) return true;
  const std::string reason = what_for.empty() ? missing : missing + " (" + what_for + ")";
  if (in_ci()) {
    [&] { GTEST_FAIL() << reason << "; CI=true, so this is a failure rather than a skip"; }();
  } else {
    [&] { GTEST_SKIP() << reason; }();
  }
  return false;
}

inline bool require_root(const std::string& what_for = {}) { return require(missing_root(), what_for); }
inline bool require_fuse(const std::string& what_for = {}) { return require(missing_fuse(), what_for); }
inline bool require_loop(const std::string& what_for = {}) { return require(missing_loop(), what_for); }

}  // namespace mtkfs::testing
