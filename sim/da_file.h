// The simulator's own reader of MTK_AllInOne_DA*.bin (docs/protocol/da-file.md §1-§4): just enough
// to know which stage-1 / stage-2 bytes a host must upload to an MT8590. Independent of the host's parser in da/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace mtkfs::sim {

struct ExpectedStage {
  std::uint32_t load_address = 0;
  std::uint32_t sig_len = 0;
  std::vector<std::uint8_t> bytes;  // the region as stored, signature included
};

struct ExpectedDa {
  ExpectedStage stage1;  // region[1], sent with SEND_DA
  ExpectedStage stage2;  // region[2], sent to DA1
};

struct DeviceIdentity {
  std::uint16_t hw_code;
  std::uint16_t hw_ver;
  std::uint16_t sw_ver;
};

// Throws std::runtime_error with a message naming the file and the problem.
ExpectedDa load_expected_da(const std::filesystem::path& file, const DeviceIdentity& device);

}  // namespace mtkfs::sim
