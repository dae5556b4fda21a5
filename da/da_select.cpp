// Entry selection and stage regions (docs/protocol/da-file.md §3, §4, §6 steps 4-5).
#include <algorithm>
#include <set>

#include "da/bytes.h"
#include "da/da_file.h"
#include "da/errors.h"

namespace mtkfs::da {
namespace {

bool version_ok(std::uint16_t entry_min, std::uint16_t device) {
  return device == 0 || entry_min <= device;
}

std::string hw_codes_found(const DaFile& file) {
  std::set<std::uint16_t> codes;
  for (const DaEntry& e : file.entries) codes.insert(e.hw_code);
  std::string list;
  for (std::uint16_t code : codes) bytes::append_item(list, bytes::hex_number(code, 4));
  return list;
}

std::string no_entry_message(const DaFile& file, std::uint16_t hw_code, std::uint16_t hw_ver,
                             std::uint16_t sw_ver) {
  std::string msg =
      "DA file " + file.name + " has no entry for hw code " + bytes::hex_number(hw_code, 4);
  std::string too_new;
  for (const DaEntry& e : file.entries)
    if (e.hw_code == hw_code)
      bytes::append_item(too_new, "hw ver ≥ " + bytes::hex_number(e.hw_ver, 4) + " sw ver ≥ " +
                                      bytes::hex_number(e.sw_ver, 4));
  if (!too_new.empty())
    return msg + " that accepts hw ver " + bytes::hex_number(hw_ver, 4) + " / sw ver " +
           bytes::hex_number(sw_ver, 4) + " (its entries for this chip need: " + too_new + ")";
  return msg + " (found: " + hw_codes_found(file) + ")";
}

// The C tool's rule (docs/protocol/da-file.md §4): first region i in [entry_region_index, count-1)
// with a signature is stage 1, i+1 stage 2, and both must end exactly with their signature.
std::optional<std::string> c_tool_disagreement(const DaEntry& entry) {
  const std::size_t count = entry.regions.size();
  std::optional<std::size_t> first_signed;
  for (std::size_t i = entry.entry_region_index; i + 1 < count; ++i)
    if (entry.regions[i].signature_length > 0) {
      first_signed = i;
      break;
    }
  if (!first_signed)
    return "the C tool's rule finds no signed region at or after entry_region_index " +
           std::to_string(entry.entry_region_index) + " and would refuse this entry";
  if (*first_signed != 1)
    return "the C tool's rule would upload regions " + std::to_string(*first_signed) + " and " +
           std::to_string(*first_signed + 1) + " instead of 1 and 2";
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    const DaRegion& r = entry.regions[i];
    if (std::uint64_t{r.signature_offset} + r.signature_length != r.length)
      return "region " + std::to_string(i) + " signature offset " +
             bytes::hex_number(r.signature_offset, 1) + " + length " +
             bytes::hex_number(r.signature_length, 1) + " != region length " +
             bytes::hex_number(r.length, 1) + " (the C tool would refuse it)";
  }
  return std::nullopt;
}

}  // namespace

DaSelection select_da_entry(const DaFile& file, std::uint16_t hw_code, std::uint16_t hw_ver,
                            std::uint16_t sw_ver) {
  auto match = std::find_if(file.entries.begin(), file.entries.end(), [&](const DaEntry& e) {
    return e.hw_code == hw_code && version_ok(e.hw_ver, hw_ver) && version_ok(e.sw_ver, sw_ver);
  });
  if (match == file.entries.end())
    throw DaFileError(no_entry_message(file, hw_code, hw_ver, sw_ver));
  const DaEntry& entry = *match;
  const std::string where = "DA file " + file.name + ", entry " + std::to_string(entry.index) +
                            " for hw code " + bytes::hex_number(hw_code, 4);
  if (!entry.problem.empty()) throw DaFileError(where + ": " + entry.problem);
  if (entry.regions.size() < 3)
    throw DaFileError(where + " has " + std::to_string(entry.regions.size()) +
                      " load regions; a legacy DA needs at least 3 (stage 1 = region 1, "
                      "stage 2 = region 2)");

  DaSelection sel;
  sel.entry = entry;
  sel.stage1 = entry.regions[1];
  sel.stage2 = entry.regions[2];
  for (const DaRegion* r : {&sel.stage1, &sel.stage2})
    if (r->length == 0 || r->length <= r->signature_length)
      throw DaFileError(where + ": stage region at offset " + bytes::hex_number(r->file_offset, 1) +
                        " has length " + bytes::hex_number(r->length, 1) +
                        " and no code besides its " + std::to_string(r->signature_length) +
                        "-byte signature");
  const std::span<const std::uint8_t> data(file.data);
  sel.stage1_image = data.subspan(sel.stage1.file_offset, sel.stage1.length);
  sel.stage2_image = data.subspan(sel.stage2.file_offset, sel.stage2.length);
  sel.rule_disagreement = c_tool_disagreement(entry);
  return sel;
}

}  // namespace mtkfs::da
