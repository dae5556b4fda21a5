#pragma once

// Free blocks of an ext2/ext3/ext4 filesystem from its block bitmaps (docs/free-space.md).

#include <cstdint>

#include "fsmap/free_map.h"

namespace mtkfs::fsmap {

// Refuses (map empty, recognised) unless the filesystem is clean, its features are understood,
// its checksums match and each group's bitmap agrees with its descriptor. A group's own metadata
// (superblock copy, descriptors, bitmaps, inode tables of any group inside it) is never free: a
// bitmap that says otherwise is refused, a BLOCK_UNINIT group gets it marked used.
Detection read_ext4(const ReadFn& read, std::uint64_t partition_size);

}  // namespace mtkfs::fsmap
