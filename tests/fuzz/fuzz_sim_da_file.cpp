// libFuzzer target: the simulator's own DA file reader (sim/da_file.h, load_expected_da), which
// decides what uploads `mtkfs-sim --da FILE` accepts, cross-checked with the host's parser.
// Input: the DA file bytes (written to a tmpfs file, as the reader takes a path).
// Invariants: the reader throws std::runtime_error or returns stages that are regions of the
// file (bytes equal, sig_len <= len, len > 0); and whenever both the host (da/) and the sim
// accept the file for the NW-A50 identity, they pick the same stage bytes, load addresses and
// signature lengths: otherwise the simulator would refuse what mtkfs uploads, or vice versa.
#include <string.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "da/da_file.h"
#include "da/errors.h"
#include "sim/da_file.h"
#include "sim/profile.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace mtkfs;

void check_stage(const sim::ExpectedStage& stage, std::span<const std::uint8_t> in, const char* which) {
  FUZZ_CHECK(!stage.bytes.empty() && stage.sig_len <= stage.bytes.size(), std::string(which) + " length/signature");
  // memmem: linear, and not coverage-instrumented (std::search here would dominate the run time).
  FUZZ_CHECK(::memmem(in.data(), in.size(), stage.bytes.data(), stage.bytes.size()) != nullptr,
             std::string(which) + " bytes are not in the file");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const fuzz::ScratchDir scratch;
  const fs::path input_file = scratch.path() / "da.bin";
  {
    std::ofstream out(input_file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    FUZZ_CHECK(out.good(), "cannot write the input file");
  }
  const sim::DeviceIdentity nw_a50{sim::profile::kHwCode, sim::profile::kHwVer, sim::profile::kSwVer};
  sim::ExpectedDa expected;
  try {
    expected = sim::load_expected_da(input_file, nw_a50);
  } catch (const std::runtime_error& e) {
    fuzz::note(e.what());
    return 0;
  }
  check_stage(expected.stage1, in, "stage 1");
  check_stage(expected.stage2, in, "stage 2");

  da::DaSelection host;
  da::DaFile file;
  try {
    file = da::parse_da_file(in);
    host = da::select_da_entry(file, nw_a50.hw_code, nw_a50.hw_ver, nw_a50.sw_ver);
  } catch (const da::DaFileError& e) {
    fuzz::note(std::string("host: ") + e.what());  // the host may be stricter (it checks every region)
    return 0;
  }
  const auto same = [](const sim::ExpectedStage& s, const da::DaRegion& r, std::span<const std::uint8_t> image) {
    return s.load_address == r.load_address && s.sig_len == r.signature_length &&
           std::equal(s.bytes.begin(), s.bytes.end(), image.begin(), image.end());
  };
  FUZZ_CHECK(same(expected.stage1, host.stage1, host.stage1_image), "host and sim disagree on stage 1");
  FUZZ_CHECK(same(expected.stage2, host.stage2, host.stage2_image), "host and sim disagree on stage 2");
  fuzz::note("host and sim agree");
  return 0;
}
