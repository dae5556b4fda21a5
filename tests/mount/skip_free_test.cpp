// -o skip_free with the real programs. The simulated user area holds three ext4 partitions (db; cache:
// 64-bit, no flex_bg; android, the system partition as mtkfs-sim makes it, 4 KiB blocks), a FAT16 (var),
// an exFAT (option3) and a FAT32 (contents); the ones made here are filled with files and with a deleted
// file whose blocks keep stale 0xAB bytes. Next to them: raw pattern partitions and the GPT.
// A sparse backup through a skip_free mount, written back to a second simulator with dd, must pass each
// filesystem's fsck with every file equal to the original, while raw partitions and table areas stay
// byte-identical; the holes SEEK_HOLE reports are the free space dumpe2fs and fsck.fat count; the device
// is not asked for free blocks; and a filesystem that is not clean is read in full.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>

#include "sim/image/image.h"
#include "tests/fsmap/fs_tools.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

namespace fs = std::filesystem;
namespace ft = mtkfs::fsmap::test;
using sim::image::Layout;
constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kUserSize = 320 * kMiB;

struct FsPartition {
  const char* name;
  const char* kind;  // "ext4", "fat16", "fat32", "exfat"
};
constexpr FsPartition kFilesystems[] = {{"db", "ext4"},          {"cache", "ext4-64bit-no-flex_bg"},
                                       {"var", "fat16"},         {"option3", "exfat"},
                                       {"contents", "fat32"}};

sim::image::PartitionSpec partition(const std::string& name) { return sim_partition(name, Layout::gpt, kUserSize); }

// A filesystem as big as the partition, filled like every fsmap test image: the workspace's files, and
// its stale file written and deleted (so free blocks hold 0xAB), one more file deleted.
fs::path make_filesystem(const FsPartition& p, const fs::path& dir) {
  ft::Workspace& w = ft::Workspace::get();
  const fs::path image = dir / (std::string(p.name) + ".fs");
  ft::must("truncate -s " + std::to_string(partition(p.name).size) + " " + ft::quoted(image));
  const std::string kind = p.kind;
  if (kind.starts_with("ext4")) {
    const std::string features = kind == "ext4" ? "" : " -O 64bit,^flex_bg";
    ft::must("mke2fs -q -F -t ext4" + features + " -d " + ft::quoted(w.source()) + " " + ft::quoted(image));
    ft::must("debugfs -w -R 'write " + w.stale_file().string() + " stale.bin' " + ft::quoted(image));
    ft::must("debugfs -w -R 'rm stale.bin' " + ft::quoted(image));
    ft::must("debugfs -w -R 'rm /" + std::string(ft::Workspace::kDeletedFile) + "' " + ft::quoted(image));
  } else if (kind == "exfat") {
    ft::must("mkfs.exfat " + ft::quoted(image));
    const fs::path mnt = dir / (std::string("mnt-") + p.name);
    ft::ExfatMount mount(image, mnt);
    ft::must("cp -r " + ft::quoted(w.source()) + "/. " + ft::quoted(mnt) + " && cp " + ft::quoted(w.stale_file()) +
             " " + ft::quoted(mnt / "stale.bin") + " && sync");
    ft::must("rm " + ft::quoted(mnt / "stale.bin") + " " + ft::quoted(mnt / ft::Workspace::kDeletedFile));
    mount.unmount();
  } else {
    ft::must(std::string("mkfs.vfat ") + (kind == "fat16" ? "-F 16 -s 1" : "-F 32 -s 1") + " " + ft::quoted(image));
    const std::string i = " -i " + ft::quoted(image) + " ";
    ft::must("cd " + ft::quoted(w.source()) + " && MTOOLS_SKIP_CHECK=1 mcopy -s" + i + "* ::/");
    ft::must("MTOOLS_SKIP_CHECK=1 mcopy" + i + ft::quoted(w.stale_file()) + " ::/stale.bin");
    ft::must("MTOOLS_SKIP_CHECK=1 mdel" + i + "::/stale.bin ::/" + ft::Workspace::kDeletedFile);
  }
  return image;
}

// fsck of the filesystem in `image`, then its files against the workspace's expected tree.
void expect_intact(const FsPartition& p, const fs::path& image, const fs::path& scratch) {
  ft::Workspace& w = ft::Workspace::get();
  const std::string kind = p.kind;
  const fs::path out = scratch / (std::string("files-") + p.name);
  fs::create_directories(out);
  if (kind.starts_with("ext4")) {
    const ft::CommandResult fsck = ft::run("e2fsck -fn " + ft::quoted(image));
    EXPECT_EQ(fsck.status, 0) << p.name << ": " << fsck.output;
    ft::must("debugfs -R 'rdump / " + out.string() + "' " + ft::quoted(image));
    ft::expect_same_tree(w.expected(), out / "");
  } else if (kind == "exfat") {
    const ft::CommandResult fsck = ft::run("fsck.exfat -n " + ft::quoted(image));
    EXPECT_EQ(fsck.status, 0) << p.name << ": " << fsck.output;
    const fs::path mnt = scratch / (std::string("mnt-") + p.name);
    ft::ExfatMount mount(image, mnt);
    ft::expect_same_tree(w.expected(), mnt);
    mount.unmount();
  } else {
    const ft::CommandResult fsck = ft::run("fsck.vfat -n " + ft::quoted(image));
    EXPECT_EQ(fsck.status, 0) << p.name << ": " << fsck.output;
    ft::must("MTOOLS_SKIP_CHECK=1 mcopy -s -n -i " + ft::quoted(image) + " '::*' " + ft::quoted(out));
    ft::expect_same_tree(w.expected(), out);
  }
}

class SkipFree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!require_fuse() || !require_loop("exfat-fuse mounts block devices only")) return;
    rig_.init({"--layout", "gpt", "--pattern", "--user-size", "320M"});
    for (const FsPartition& p : kFilesystems) {
      const fs::path image = make_filesystem(p, rig_.dir());
      write_range(rig_.image("user.img"), partition(p.name).offset, read_range(image, 0, fs::file_size(image)));
    }
    original_ = rig_.dir() / "user.original";
    fs::copy_file(rig_.image("user.img"), original_);
    rig_.start_sim();
  }

  // The partition's bytes in a user-area image, as a file of its own.
  fs::path extract(const fs::path& user_image, const std::string& name, const std::string& tag) {
    const fs::path file = rig_.dir() / (name + "." + tag);
    std::ofstream(file).close();
    write_range(file, 0, read_range(user_image, partition(name).offset, partition(name).size));
    return file;
  }

  SimMountRig rig_;
  fs::path original_;
};

std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

std::uint64_t read_bytes_now(const SimMountRig& rig) {
  return std::stoull(status_value(read_text_file(rig.mnt("status.txt")), "read"));
}

TEST_F(SkipFree, ASparseBackupRestoredWithDdGivesTheSameFilesystemsAndRawBytes) {
  ASSERT_EQ(rig_.mount({"-o", "skip_free"}).exit_code, 0) << rig_.log();
  const std::string device = read_text_file(rig_.mnt("device.txt"));
  for (const FsPartition& p : kFilesystems) EXPECT_NE(device.find(std::string("  ") + p.name + ": "), std::string::npos) << device;
  const fs::path backup = rig_.dir() / "backup.img";
  const ProgramResult cp = run_program("/bin/cp", {"--sparse=always", rig_.mnt("user_area.img"), backup.string()},
                                       kProgramTimeout);
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(rig_.unmount(), 0) << rig_.log();
  const std::uint64_t allocated = allocated_bytes(backup);
  std::printf("backup: %llu of %llu bytes allocated\n%s", static_cast<unsigned long long>(allocated),
              static_cast<unsigned long long>(kUserSize), device.c_str());
  EXPECT_LT(allocated, kUserSize - 40 * kMiB) << "free blocks are holes in the backup";

  // Written back to a second device (its own pattern everywhere) with dd, as a restore would.
  SimMountRig second;
  second.init({"--layout", "none", "--pattern", "--user-size", "320M"});
  second.start_sim();
  ASSERT_EQ(second.mount({"--rw"}).exit_code, 0) << second.log();
  const ProgramResult dd = run_program(
      "/bin/dd", {"if=" + backup.string(), "of=" + second.mnt("user_area.img"), "bs=1M", "conv=fsync,notrunc"},
      kProgramTimeout);
  ASSERT_EQ(dd.exit_code, 0) << dd.err;
  EXPECT_EQ(second.unmount(), 0) << second.log();

  const fs::path restored = second.image("user.img");
  std::uint64_t at = 0;  // everything outside the four filesystems is the original byte for byte
  std::vector<sim::image::PartitionSpec> parts;
  for (const FsPartition& p : kFilesystems) parts.push_back(partition(p.name));
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  for (const auto& part : parts) {
    EXPECT_EQ(compare_ranges(original_, at, restored, at, part.offset - at), "") << "before " << part.name;
    at = part.offset + part.size;
  }
  EXPECT_EQ(compare_ranges(original_, at, restored, at, kUserSize - at), "") << "after the last filesystem";
  for (const FsPartition& p : kFilesystems) expect_intact(p, extract(restored, p.name, "restored"), rig_.dir());
}

TEST_F(SkipFree, HolesAreTheFreeSpaceTheFilesystemToolsCount) {
  ASSERT_EQ(rig_.mount({"-o", "skip_free"}).exit_code, 0) << rig_.log();
  // ext4: SEEK_HOLE/SEEK_DATA give exactly dumpe2fs's free block ranges.
  const fs::path db = extract(original_, "db", "original");
  std::uint64_t superblock_free = 0;
  std::smatch m;
  const std::string header = ft::must("dumpe2fs -h " + ft::quoted(db) + " 2>/dev/null");
  ASSERT_TRUE(std::regex_search(header, m, std::regex(R"(Block size: +(\d+))"))) << header;
  const std::uint64_t block = std::stoull(m[1]);
  const std::vector<fsmap::Range> want = ft::dumpe2fs_free(db, block, superblock_free);
  const int fd = ::open(rig_.mnt("partitions/db.img").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<fsmap::Range> holes;
  const off_t size = ::lseek(fd, 0, SEEK_END);
  for (off_t pos = 0;;) {
    const off_t hole = ::lseek(fd, pos, SEEK_HOLE);
    if (hole < 0 || hole >= size) break;
    const off_t data = ::lseek(fd, hole, SEEK_DATA);
    const off_t end = data < 0 ? size : data;
    holes.push_back({static_cast<std::uint64_t>(hole), static_cast<std::uint64_t>(end - hole)});
    if (data < 0) break;
    pos = data;
  }
  ::close(fd);
  EXPECT_EQ(holes, want);
  std::uint64_t free = 0;
  for (const auto& r : want) free += r.size;
  EXPECT_EQ(free, superblock_free * block);
  EXPECT_EQ(allocated_bytes(rig_.mnt("partitions/db.img")), partition("db").size - free);

  // FAT16: the holes add up to fsck.fat's free clusters.
  const fs::path var = extract(original_, "var", "original");
  const std::string fsck = ft::must("fsck.fat -n -v " + ft::quoted(var));
  ASSERT_TRUE(std::regex_search(fsck, m, std::regex(R"((\d+) bytes per cluster)"))) << fsck;
  const std::uint64_t cluster = std::stoull(m[1]);
  ASSERT_TRUE(std::regex_search(fsck, m, std::regex(R"(\d+/(\d+) clusters)"))) << fsck;
  const std::uint64_t clusters = std::stoull(m[1]);
  ASSERT_TRUE(std::regex_search(fsck, m, std::regex(R"((\d+)/\d+ clusters)"))) << fsck;
  const std::uint64_t used = std::stoull(m[1]);
  EXPECT_EQ(partition("var").size - allocated_bytes(rig_.mnt("partitions/var.img")), (clusters - used) * cluster);

  // A raw partition has no holes; its bytes are all there.
  const int raw = ::open(rig_.mnt("partitions/nvram.img").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  EXPECT_EQ(::lseek(raw, 0, SEEK_HOLE), static_cast<off_t>(partition("nvram").size));
  ::close(raw);
  EXPECT_EQ(rig_.unmount(), 0) << rig_.log();
}

TEST_F(SkipFree, TheDeviceIsNotAskedForFreeBlocks) {
  ASSERT_EQ(rig_.mount({"-o", "skip_free"}).exit_code, 0) << rig_.log();
  const std::uint64_t before = read_bytes_now(rig_);
  const fs::path copy = rig_.dir() / "contents.copy";
  const ProgramResult cp = run_program(
      "/bin/cp", {"--sparse=always", rig_.mnt("partitions/contents.img"), copy.string()}, kProgramTimeout);
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  const std::uint64_t read = read_bytes_now(rig_) - before;
  const std::uint64_t used = allocated_bytes(rig_.mnt("partitions/contents.img"));  // without its holes
  std::printf("contents: %llu bytes used, %llu read from the device for the copy\n",
              static_cast<unsigned long long>(used), static_cast<unsigned long long>(read));
  EXPECT_LE(read, used + 2 * kMiB) << "whole cache blocks around used data, nothing else";
  EXPECT_EQ(rig_.unmount(), 0) << rig_.log();
  // Without the option the same file is the partition byte for byte, stale bytes of deleted files included.
  ASSERT_EQ(rig_.mount({}).exit_code, 0) << rig_.log();
  EXPECT_EQ(compare_file(rig_.mnt("partitions/contents.img"), original_, partition("contents").offset,
                         partition("contents").size),
            "");
  EXPECT_EQ(rig_.unmount(), 0) << rig_.log();
}

// The kernel's ext4 writes a file and is shut down with its log flushed but not checkpointed: the
// journal needs recovery, and the on-disk bitmaps need not show what the journal allocated. Never
// guessed at: the partition is read in full, and the backup replays (e2fsck) to the same file.
TEST_F(SkipFree, AnExt4WhoseJournalNeedsRecoveryIsReadInFullAndTheBackupReplays) {
  const fs::path db = rig_.dir() / "db.crashed";
  ft::must("truncate -s " + std::to_string(partition("db").size) + " " + ft::quoted(db));
  ft::must("mke2fs -q -F -t ext4 " + ft::quoted(db));
  const fs::path mnt = rig_.dir() / "db-mnt";
  fs::create_directories(mnt);
  ft::must("mount -o loop " + ft::quoted(db) + " " + ft::quoted(mnt));
  const auto late = random_bytes(7, 300 * 1024);
  {
    std::ofstream(mnt / "late.bin").close();
    write_range(mnt / "late.bin", 0, late);
    const int file = ::open((mnt / "late.bin").c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_EQ(::fsync(file), 0);
    ::close(file);
    constexpr unsigned long kExt4Shutdown = _IOR('X', 125, std::uint32_t);  // EXT4_IOC_SHUTDOWN
    std::uint32_t flush_log_only = 1;                                       // EXT4_GOING_FLAGS_LOGFLUSH
    const int root = ::open(mnt.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_EQ(::ioctl(root, kExt4Shutdown, &flush_log_only), 0) << std::strerror(errno);
    ::close(root);
  }
  ft::must("umount " + ft::quoted(mnt));
  ASSERT_NE(ft::must("dumpe2fs -h " + ft::quoted(db) + " 2>/dev/null").find("needs_recovery"), std::string::npos);
  write_range(rig_.image("user.img"), partition("db").offset, read_range(db, 0, partition("db").size));

  ASSERT_EQ(rig_.mount({"-o", "skip_free"}).exit_code, 0) << rig_.log();
  const std::string device = read_text_file(rig_.mnt("device.txt"));
  EXPECT_NE(device.find("  db: read in full (ext4: journal needs recovery"), std::string::npos) << device;
  EXPECT_NE(device.find("  var: FAT16"), std::string::npos) << device;
  EXPECT_EQ(compare_file(rig_.mnt("partitions/db.img"), db, 0, partition("db").size), "") << "every byte";
  const int fd = ::open(rig_.mnt("partitions/db.img").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 0, SEEK_HOLE), static_cast<off_t>(partition("db").size));
  ::close(fd);
  const fs::path backup = rig_.dir() / "db.backup";
  ASSERT_EQ(run_program("/bin/cp", {"--sparse=always", rig_.mnt("partitions/db.img"), backup.string()},
                        kProgramTimeout).exit_code, 0);
  EXPECT_EQ(rig_.unmount(), 0) << rig_.log();
  EXPECT_NE(rig_.log().find("skip_free: partition db is read in full: ext4: journal needs recovery"),
            std::string::npos)
      << rig_.log();

  const ft::CommandResult replay = ft::run("e2fsck -fy " + ft::quoted(backup));
  EXPECT_LE(replay.status, 1) << replay.output;  // 1: the journal was replayed
  const fs::path out = rig_.dir() / "late.out";
  ft::must("debugfs -R 'dump /late.bin " + out.string() + "' " + ft::quoted(backup));
  EXPECT_EQ(read_range(out, 0, late.size()), late);
  EXPECT_EQ(fs::file_size(out), late.size());
}

}  // namespace
}  // namespace mtkfs::testing
