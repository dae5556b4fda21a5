// Small helpers shared by the benchmark programs: sizes and CPU clocks.
// Benchmarks print one line of key=value pairs that the driver (mtkfs-bench, bench/driver.cpp) collects.
#pragma once

#include <dirent.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <span>
#include <stdexcept>
#include <string>

#include "common/size.h"

namespace mtkfs::bench {

using Clock = std::chrono::steady_clock;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double timespec_seconds(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// CPU time: every figure of the benchmark comes from the kernel's POSIX CPU-time clocks (user + system,
// nanosecond resolution), read before and after the measured step: the process clock
// (CLOCK_PROCESS_CPUTIME_ID / clock_getcpuclockid: all threads, including finished ones) or, for a
// thread inside a benchmark program, that thread's clock.

// This process.
inline double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return timespec_seconds(t);
}

// Another process (mtkfs, mtkfs-sim); 0 if it is gone.
inline double process_cpu_seconds(pid_t pid) {
  if (pid <= 0) return 0.0;
  clockid_t clock{};
  if (::clock_getcpuclockid(pid, &clock) != 0) return 0.0;
  timespec t{};
  if (::clock_gettime(clock, &t) != 0) return 0.0;
  return timespec_seconds(t);
}

inline double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return timespec_seconds(t);
}

// CPU clock of another thread of this process, by kernel thread id (the encoding glibc's
// pthread_getcpuclockid uses: per-thread, scheduler clock). Nanosecond resolution, unlike the
// 10 ms ticks of /proc/self/task/TID/stat.
inline double tid_cpu_seconds(pid_t tid) {
  const clockid_t clock = static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 4 | 2);
  timespec t{};
  if (::clock_gettime(clock, &t) != 0) return 0.0;
  return timespec_seconds(t);
}

// Kernel thread ids of this process right now (to find threads a library started).
inline std::set<pid_t> thread_ids() {
  std::set<pid_t> ids;
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return ids;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    ids.insert(static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10)));
  }
  ::closedir(dir);
  return ids;
}

}  // namespace mtkfs::bench
