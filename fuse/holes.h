// What -o skip_free's free blocks look like from an image file: holes for lseek(SEEK_DATA/SEEK_HOLE) and
// st_blocks, zeros for read. Pure functions of the file's node and the FreeSpace (fuse/free_space.h).
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "fuse/free_space.h"
#include "fuse/fs_tree.h"

namespace mtkfs::fusefs {

// Only user-area image files have free blocks.
inline bool may_have_holes(const Node& node) {
  return node.kind == Node::Kind::image && node.part == wire::HwPartition::user;
}

// lseek(SEEK_DATA or SEEK_HOLE) from `offset` in `node`: the resulting file offset, or an errno (ENXIO at
// or after the end, or for SEEK_DATA with only holes up to the end; EINVAL for another whence).
std::variant<std::uint64_t, int> seek_data_or_hole(const FreeSpace& free, const Node& node, std::uint64_t offset,
                                                   int whence);

// st_blocks (512-byte units) of an image file: its size without its free bytes.
std::uint64_t allocated_blocks(const FreeSpace& free, const Node& node);

// Which parts of a read of `node` at file offset `offset` and `length` bytes come from the device (used
// pieces; their offsets are user-area offsets) and which are zeros; empty when all of it is used.
std::vector<FreeSpace::Piece> read_pieces(const FreeSpace& free, const Node& node, std::uint64_t offset,
                                          std::uint64_t length);

}  // namespace mtkfs::fusefs
