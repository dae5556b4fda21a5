#include "da/da_source.h"

#include "da/bytes.h"
#include "da/errors.h"

namespace mtkfs::da {

std::string save_da_hint() {
  return "Copy a Download Agent (MTK_AllInOne_DA*.bin from SP Flash Tool or mtkclient's Loader folder) "
         "where mtkfs looks, once: mtkfs --save-da /path/to/MTK_AllInOne_DA.bin";
}

DaSource::DaSource(DaFile given) : chosen_(std::move(given)) {}

DaSource::DaSource(std::vector<DaCandidate> candidates, std::vector<std::string> places_looked)
    : candidates_(std::move(candidates)), places_(std::move(places_looked)) {}

std::string DaSource::name() const {
  if (chosen_) return chosen_->name;
  return "not chosen yet, " + std::to_string(candidates_.size()) + " found";
}

const DaFile& DaSource::choose(std::uint16_t hw_code, std::uint16_t hw_ver, std::uint16_t sw_ver) {
  if (chosen_) return *chosen_;
  std::string tried;
  for (const DaCandidate& candidate : candidates_) {
    try {
      DaFile file = load_da_file(candidate.path);
      select_da_entry(file, hw_code, hw_ver, sw_ver);  // throws when there is no usable entry
      found_ = candidate.path.string() + " (found in " + candidate.found_in + ")";
      chosen_ = std::move(file);
      return *chosen_;
    } catch (const DaFileError& e) {
      tried += "\n  " + candidate.path.string() + ": " + e.what();
    }
  }
  std::string places;
  for (const std::string& place : places_) places += "\n  " + place;
  const std::string what = "no Download Agent with an entry for hw code " + bytes::hex_number(hw_code, 4);
  if (candidates_.empty())
    throw DaFileError(what + ": no DA file found and no --da given. Looked in:" + places + "\n" + save_da_hint());
  throw DaFileError(what + " among the DA files found:" + tried + "\nLooked in:" + places + "\n" + save_da_hint());
}

}  // namespace mtkfs::da
