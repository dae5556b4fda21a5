// A fresh directory per input for targets that need files (the simulator's images, the sim's DA
// file reader), removed when the input is done: libFuzzer leaves without running atexit handlers
// in some modes (replaying single files), so nothing may rely on process exit for clean-up.
// Lives under $MTKFS_FUZZ_TMP (scripts/fuzz.sh points it at a directory it removes afterwards,
// which also catches what a crashing input leaves), else tmpfs (/dev/shm) for speed, else /tmp.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace mtkfs::fuzz {

class ScratchDir {
 public:
  ScratchDir() {
    const char* env = std::getenv("MTKFS_FUZZ_TMP");
    const std::string base = env && *env ? env : std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string templ = base + "/mtkfs-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) {
      std::perror(("mkdtemp " + templ).c_str());
      std::abort();
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace mtkfs::fuzz
