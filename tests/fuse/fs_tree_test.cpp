#include <gtest/gtest.h>

#include "fuse/fs_tree.h"

namespace mtkfs::fusefs {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

TreeSource source() {
  TreeSource s;
  s.user_size = 64 * kMiB;
  s.boot1_size = 4 * kMiB;
  s.boot2_size = 4 * kMiB;
  s.rpmb_size = kMiB;
  s.partitions = {{"system", "system", 8 * kMiB, 16 * kMiB, 5},
                  {"data", "", 24 * kMiB, 100 * kMiB, 6},   // runs past the user area: cut
                  {"bad/name", "", 30 * kMiB, kMiB, 7},
                  {"system", "", 40 * kMiB, kMiB, 8},      // duplicate name
                  {"gone", "", 70 * kMiB, kMiB, 9}};       // outside the user area: dropped
  s.device_text = "hello\n";
  return s;
}

TEST(FsTree, LayoutAndPermissions) {
  FsOptions o;
  Tree t(source(), o);
  ASSERT_NE(t.child(kRootIno, "user_area.img"), nullptr);
  EXPECT_EQ(t.child(kRootIno, "user_area.img")->size, 64 * kMiB);
  EXPECT_FALSE(t.child(kRootIno, "user_area.img")->writable);
  EXPECT_EQ(t.child(kRootIno, "rpmb.img"), nullptr);
  EXPECT_EQ(t.child(kRootIno, "device.txt")->size, 6u);
  const Node* dir = t.child(kRootIno, "partitions");
  ASSERT_NE(dir, nullptr);
  const Node* data = t.child(dir->ino, "data.img");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->offset, 24 * kMiB);
  EXPECT_EQ(data->size, 40 * kMiB);
  EXPECT_NE(t.child(dir->ino, "bad_name.img"), nullptr);
  EXPECT_NE(t.child(dir->ino, "system_2.img"), nullptr);
  EXPECT_EQ(t.child(dir->ino, "gone.img"), nullptr);
  EXPECT_EQ(t.warnings().size(), 2u);
}

TEST(FsTree, WritabilityFollowsOptions) {
  FsOptions o;
  o.writable = true;
  o.expose_rpmb = true;
  Tree rw(source(), o);
  EXPECT_TRUE(rw.child(kRootIno, "user_area.img")->writable);
  EXPECT_FALSE(rw.child(kRootIno, "boot1.img")->writable);
  EXPECT_FALSE(rw.child(kRootIno, "rpmb.img")->writable);
  o.write_boot = true;
  Tree boot(source(), o);
  EXPECT_TRUE(boot.child(kRootIno, "boot1.img")->writable);
  EXPECT_TRUE(boot.child(kRootIno, "boot2.img")->writable);
  EXPECT_FALSE(boot.child(kRootIno, "rpmb.img")->writable);
}

TEST(FsTree, AliasesMapTheSameDeviceBytes) {
  FsOptions o;
  Tree t(source(), o);
  const Node* system = t.child(t.child(kRootIno, "partitions")->ino, "system.img");
  auto aliases = t.aliases(*system, 4096, 8192);
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].node->name, "user_area.img");
  EXPECT_EQ(aliases[0].file_offset, 8 * kMiB + 4096);
  EXPECT_EQ(aliases[0].length, 8192u);
  const Node* user = t.child(kRootIno, "user_area.img");
  aliases = t.aliases(*user, 8 * kMiB - 512, 1024);  // straddles the start of system
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].file_offset, 0u);
  EXPECT_EQ(aliases[0].length, 512u);
  EXPECT_TRUE(t.aliases(*t.child(kRootIno, "boot1.img"), 0, 4096).empty());
}

TEST(FsTree, SafeNames) {
  EXPECT_EQ(safe_file_name("", 3), "p3");
  EXPECT_EQ(safe_file_name(".hidden", 1), "_hidden");
  EXPECT_EQ(safe_file_name("a b/c", 1), "a_b_c");
  EXPECT_EQ(safe_file_name("..", 1), "_.");
}

}  // namespace
}  // namespace mtkfs::fusefs
