// Which Download Agent a session uploads: one file the user named (loaded at once, so a bad --da fails
// before any device wait), or the files found on this machine (app/da_discovery.h), of which the first
// with a usable entry for the connected chip is chosen once the Preloader told its hw code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "da/da_file.h"

namespace mtkfs::da {

struct DaCandidate {
  std::filesystem::path path;
  std::string found_in;  // where the search found it, for the user: "$MTKFS_DA", "mtkclient (...)", ...
};

class DaSource {
 public:
  explicit DaSource(DaFile given);
  // `places_looked`: every place searched, for the message when no candidate fits.
  DaSource(std::vector<DaCandidate> candidates, std::vector<std::string> places_looked);

  // The file for this device; once chosen it stays chosen (a reconnect uploads the same DA). Throws
  // DaFileError naming every candidate and why it did not fit, the places looked at and the fix.
  const DaFile& choose(std::uint16_t hw_code, std::uint16_t hw_ver, std::uint16_t sw_ver);
  // Set after choose() picked a searched file: "PATH (found in PLACE)".
  const std::optional<std::string>& found() const { return found_; }
  std::string name() const;  // the file, or what is still to be chosen from

 private:
  std::optional<DaFile> chosen_;
  std::vector<DaCandidate> candidates_;
  std::vector<std::string> places_;
  std::optional<std::string> found_;
};

// The one command that makes every later run find a DA file by itself.
std::string save_da_hint();

}  // namespace mtkfs::da
