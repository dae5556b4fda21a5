// libFuzzer target: da/da_file.h (the host's Download Agent container parser and entry choice).
// Input: the DA file bytes. The device's hw/sw versions are the file's last 4 bytes when the
// input is long enough (so the fuzzer can flip version matching without a second format).
// Invariants: parse either throws DaFileError or returns entries whose usable regions lie in the
// file; a selection is for hw code 0x8590, points into the file at its regions, and keeps
// sig_len < len.
#include <cstdint>
#include <span>
#include <string>

#include "da/da_file.h"
#include "da/errors.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace mtkfs;
constexpr std::uint16_t kHwCode = 0x8590;

std::uint16_t tail_u16(std::span<const std::uint8_t> in, std::size_t from_end) {
  if (in.size() < da::kDaHeaderSize + 4) return 0;  // version 0 matches any entry
  const std::size_t at = in.size() - from_end;
  return static_cast<std::uint16_t>(in[at] | (in[at + 1] << 8));
}

void check_file(const da::DaFile& file, std::span<const std::uint8_t> in) {
  FUZZ_CHECK(file.data.size() == in.size() && std::equal(file.data.begin(), file.data.end(), in.begin()),
             "DaFile::data is not the input");
  FUZZ_CHECK(file.entry_size == da::kDaEntrySize || file.entry_size == da::kDaOldEntrySize, "entry size");
  FUZZ_CHECK(!file.entries.empty(), "a file without entries was accepted");
  FUZZ_CHECK(da::kDaHeaderSize + file.entries.size() * file.entry_size <= in.size(), "entry table beyond the file");
  for (std::size_t i = 0; i < file.entries.size(); ++i) {
    const da::DaEntry& e = file.entries[i];
    FUZZ_CHECK(e.index == i, "entry index");
    FUZZ_CHECK(e.magic == da::kDaEntryMagic, "entry magic");
    FUZZ_CHECK(e.regions.size() <= da::kDaMaxRegions, "more than 10 regions decoded");
    if (!e.problem.empty()) continue;
    FUZZ_CHECK(e.regions.size() == e.region_count, "region count of a usable entry");
    for (const da::DaRegion& r : e.regions) {
      FUZZ_CHECK(std::uint64_t{r.file_offset} + r.length <= in.size(), "usable entry with a region beyond the file");
      FUZZ_CHECK(r.signature_length <= r.length, "usable entry with sig_len > len");
    }
  }
}

void check_selection(const da::DaSelection& sel, const da::DaFile& file, std::span<const std::uint8_t> in,
                     std::uint16_t hw_ver, std::uint16_t sw_ver) {
  FUZZ_CHECK(sel.entry.hw_code == kHwCode, "selected an entry for another chip");
  FUZZ_CHECK(sel.entry.problem.empty(), "selected an unusable entry");
  FUZZ_CHECK(hw_ver == 0 || sel.entry.hw_ver <= hw_ver, "entry needs a newer hw version");
  FUZZ_CHECK(sw_ver == 0 || sel.entry.sw_ver <= sw_ver, "entry needs a newer sw version");
  // The first match wins: no earlier entry may have matched.
  for (std::size_t i = 0; i < sel.entry.index; ++i) {
    const da::DaEntry& e = file.entries[i];
    const bool matches = e.hw_code == kHwCode && (hw_ver == 0 || e.hw_ver <= hw_ver) &&
                         (sw_ver == 0 || e.sw_ver <= sw_ver);
    FUZZ_CHECK(!matches, "entry " + std::to_string(i) + " matched first but was not chosen");
  }
  const std::span<const std::uint8_t> data(file.data);
  for (const auto& [region, image] : {std::pair{sel.stage1, sel.stage1_image}, std::pair{sel.stage2, sel.stage2_image}}) {
    FUZZ_CHECK(region.length > 0 && region.signature_length < region.length, "stage without code besides the signature");
    FUZZ_CHECK(std::uint64_t{region.file_offset} + region.length <= in.size(), "stage region beyond the file");
    FUZZ_CHECK(image.size() == region.length, "stage image length");
    FUZZ_CHECK(image.data() == data.data() + region.file_offset, "stage image does not point at its region");
  }
  FUZZ_CHECK(sel.stage1.file_offset == sel.entry.regions.at(1).file_offset &&
                 sel.stage2.file_offset == sel.entry.regions.at(2).file_offset,
             "stages are not regions 1 and 2");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  da::DaFile file;
  try {
    file = da::parse_da_file(in, "fuzz input");
  } catch (const da::DaFileError& e) {
    FUZZ_CHECK(std::string(e.what()).find("fuzz input") != std::string::npos, "error does not name the file");
    fuzz::note(e.what());
    return 0;
  }
  check_file(file, in);
  const std::uint16_t hw_ver = tail_u16(in, 4);
  const std::uint16_t sw_ver = tail_u16(in, 2);
  for (const auto& [hw, sw] : {std::pair{hw_ver, sw_ver}, std::pair<std::uint16_t, std::uint16_t>{0xCB01, 0x0102}}) {
    try {
      check_selection(da::select_da_entry(file, kHwCode, hw, sw), file, in, hw, sw);
      fuzz::note("selected an entry");
    } catch (const da::DaFileError& e) {
      fuzz::note(e.what());
    }
  }
  return 0;
}
