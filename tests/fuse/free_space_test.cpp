// skip_free's map of free bytes (fuse/free_space.h) and what an image file makes of it (fuse/holes.h):
// merging, taking written bytes out, read pieces, lseek answers and st_blocks at the edges.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>

#include "fuse/holes.h"

namespace mtkfs::fusefs {
namespace {

using Piece = FreeSpace::Piece;

TEST(FreeSpace, AddedRangesMergeWhenTheyTouchOrOverlap) {
  FreeSpace f;
  f.add(100, 50);
  f.add(150, 50);  // touching
  f.add(120, 10);  // inside
  f.add(300, 10);
  EXPECT_EQ(f.pieces(0, 400), (std::vector<Piece>{{0, 100, false}, {100, 100, true}, {200, 100, false},
                                                   {300, 10, true}, {310, 90, false}}));
  EXPECT_EQ(f.free_bytes(0, 400), 110u);
  EXPECT_EQ(f.free_bytes(190, 120), 20u);
}

TEST(FreeSpace, WrittenBytesAreNoLongerFree) {
  FreeSpace f;
  f.add(0, 1000);
  f.mark_used(100, 50);
  f.mark_used(990, 100);  // past the end of the range
  f.mark_used(0, 10);
  EXPECT_EQ(f.pieces(0, 1000), (std::vector<Piece>{{0, 10, false}, {10, 90, true}, {100, 50, false},
                                                    {150, 840, true}, {990, 10, false}}));
  f.mark_used(0, 1000);
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.pieces(5, 10), (std::vector<Piece>{{5, 10, false}}));
}

TEST(FreeSpace, NextDataAndNextHole) {
  FreeSpace f;
  f.add(100, 100);
  f.add(300, 100);
  EXPECT_EQ(f.next_hole(0, 500), 100u);
  EXPECT_EQ(f.next_hole(150, 500), 150u);
  EXPECT_EQ(f.next_hole(200, 500), 300u);
  EXPECT_EQ(f.next_hole(400, 500), 500u) << "the end is a hole";
  EXPECT_EQ(f.next_hole(0, 50), 50u);
  EXPECT_EQ(f.next_data(0, 500), 0u);
  EXPECT_EQ(f.next_data(100, 500), 200u);
  EXPECT_EQ(f.next_data(350, 500), 400u);
  EXPECT_EQ(f.next_data(350, 400), std::nullopt) << "only hole up to the end";
  EXPECT_EQ(f.next_data(500, 500), std::nullopt);
}

Node image(wire::HwPartition part, std::uint64_t offset, std::uint64_t size) {
  Node n;
  n.kind = Node::Kind::image;
  n.part = part;
  n.offset = offset;
  n.size = size;
  return n;
}

TEST(Holes, APartitionFileSeesTheFreeBytesOfItsOwnRange) {
  FreeSpace f;
  f.add(1000, 500);  // user-area offsets
  const Node part = image(wire::HwPartition::user, 800, 1000);  // file offsets 200..700 are free
  EXPECT_EQ(std::get<std::uint64_t>(seek_data_or_hole(f, part, 0, SEEK_HOLE)), 200u);
  EXPECT_EQ(std::get<std::uint64_t>(seek_data_or_hole(f, part, 250, SEEK_DATA)), 700u);
  EXPECT_EQ(std::get<std::uint64_t>(seek_data_or_hole(f, part, 700, SEEK_HOLE)), 1000u);
  EXPECT_EQ(std::get<int>(seek_data_or_hole(f, part, 1000, SEEK_DATA)), ENXIO);
  EXPECT_EQ(std::get<int>(seek_data_or_hole(f, part, 0, SEEK_SET)), EINVAL);
  EXPECT_EQ(allocated_blocks(f, part), (1000u - 500u + 511) / 512);
  EXPECT_EQ(read_pieces(f, part, 100, 200), (std::vector<Piece>{{900, 100, false}, {1000, 100, true}}));
  EXPECT_TRUE(read_pieces(f, part, 800, 100).empty()) << "all used: the usual path";
}

TEST(Holes, BootPartitionsAndOnlyHoleFilesBehave) {
  FreeSpace f;
  f.add(0, 4096);
  const Node boot = image(wire::HwPartition::boot1, 0, 4096);  // never has holes, whatever the map says
  EXPECT_EQ(std::get<std::uint64_t>(seek_data_or_hole(f, boot, 0, SEEK_HOLE)), 4096u);
  EXPECT_EQ(allocated_blocks(f, boot), 8u);
  EXPECT_TRUE(read_pieces(f, boot, 0, 4096).empty());
  const Node all_free = image(wire::HwPartition::user, 0, 4096);
  EXPECT_EQ(std::get<int>(seek_data_or_hole(f, all_free, 0, SEEK_DATA)), ENXIO);
  EXPECT_EQ(allocated_blocks(f, all_free), 0u);
}

}  // namespace
}  // namespace mtkfs::fusefs
