#include "fuse/holes.h"

#include <unistd.h>

#include <cerrno>

namespace mtkfs::fusefs {

std::variant<std::uint64_t, int> seek_data_or_hole(const FreeSpace& free, const Node& node, std::uint64_t offset,
                                                   int whence) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return EINVAL;
  if (offset >= node.size) return ENXIO;
  if (!may_have_holes(node)) return whence == SEEK_DATA ? offset : node.size;
  const std::uint64_t begin = node.offset + offset, end = node.offset + node.size;
  if (whence == SEEK_HOLE) return free.next_hole(begin, end) - node.offset;
  const auto data = free.next_data(begin, end);
  if (!data) return ENXIO;
  return *data - node.offset;
}

std::uint64_t allocated_blocks(const FreeSpace& free, const Node& node) {
  std::uint64_t bytes = node.size;
  if (may_have_holes(node)) bytes -= free.free_bytes(node.offset, node.size);
  return (bytes + 511) / 512;
}

std::vector<FreeSpace::Piece> read_pieces(const FreeSpace& free, const Node& node, std::uint64_t offset,
                                          std::uint64_t length) {
  if (!may_have_holes(node) || free.free_bytes(node.offset + offset, length) == 0) return {};
  return free.pieces(node.offset + offset, length);
}

}  // namespace mtkfs::fusefs
