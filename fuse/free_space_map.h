// Builds the FreeSpace of a skip_free mount: every partition's filesystem map (fsmap/), read through the
// cache when the mount starts.
#pragma once

#include <string>
#include <vector>

#include "cache/cache.h"
#include "fuse/free_space.h"
#include "partition/partition_table.h"

namespace mtkfs::fusefs {

// Adds the free blocks of every partition of the user area to `out`. Returns the lines device.txt shows
// ("Free space (skip_free):" and one line per partition: what was found, used and free bytes, or why it
// is read in full); each refusal of a recognised filesystem is also logged as a warning.
std::string map_free_space(cache::Cache& cache, const std::vector<partition::Extent>& partitions, FreeSpace& out);

}  // namespace mtkfs::fusefs
