// Invariant checks for the fuzz targets. Unlike assert() they stay active in optimised builds
// (the fuzz build is RelWithDebInfo, i.e. NDEBUG) and abort, which libFuzzer reports as a crash
// with the input saved, so a broken invariant is as visible as a memory error.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace mtkfs::fuzz {

[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line,
                                          const std::string& detail) {
  std::fprintf(stderr, "\n*** fuzz invariant violated: %s\n    at %s:%d\n    %s\n", condition, file,
               line, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// With MTKFS_FUZZ_VERBOSE set, targets say how each input ended (for checking what a seed
// reaches: `MTKFS_FUZZ_VERBOSE=1 bin/fuzz/fuzz_x corpus/fuzz_x/seed`); silent otherwise.
inline void note(const std::string& text) {
  static const bool verbose = std::getenv("MTKFS_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "fuzz: %s\n", text.c_str());
}

}  // namespace mtkfs::fuzz

// FUZZ_CHECK(cond, detail): `detail` is only evaluated when the check fails, so it may build
// an expensive message.
#define FUZZ_CHECK(cond, detail)                                                    \
  do {                                                                              \
    if (!(cond)) ::mtkfs::fuzz::invariant_failed(#cond, __FILE__, __LINE__, (detail)); \
  } while (0)
