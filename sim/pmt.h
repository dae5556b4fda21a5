// The PMT a DA would return for `A5` (docs/protocol/legacy-da.md §11): taken from the user area image.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/regions.h"

namespace mtkfs::sim {

// The 0x58-byte records of a v1.x PMT ("PTv1") found at user size - 1 MiB, in on-disk order, up to the
// first record with an empty name; empty when there is no such table.
std::vector<std::uint8_t> read_pmt_records(const Regions& regions);

}  // namespace mtkfs::sim
