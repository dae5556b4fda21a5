// FAT and exFAT volumes that must be read in full, partitions with no filesystem at all, and
// what happens around the readers: copies of the FAT that disagree, read errors, two signatures.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "fs_tools.h"
#include "fsmap/exfat.h"
#include "fsmap/fat.h"

namespace mtkfs::fsmap::test {
namespace {

fs::path fat_base(const std::string& name, const std::string& options) {
  return Workspace::get().image("refusal_" + name, [&](const fs::path& image) {
    must("truncate -s 64M " + quoted(image) + " && mkfs.vfat " + options + " " + quoted(image));
    must("cd " + quoted(Workspace::get().source()) + " && MTOOLS_SKIP_CHECK=1 mcopy -s -i " + quoted(image) + " * ::/");
  });
}
fs::path fat16() { return fat_base("fat16", "-F 16"); }
fs::path fat32() { return fat_base("fat32", "-F 32"); }
fs::path exfat() {
  return Workspace::get().image("refusal_exfat", [](const fs::path& image) {
    must("truncate -s 16M " + quoted(image) + " && mkfs.exfat " + quoted(image));
  });
}

fat::Layout fat_layout(const fs::path& image) {
  std::string why;
  return fat::parse_bpb(read_bytes(image, 0, 512), fs::file_size(image), why).value();
}

class FsmapRefusal : public ::testing::Test {
 protected:
  fs::path copy_of(const fs::path& image) {
    const fs::path copy = scratch_ / image.filename();
    must("cp --sparse=always " + quoted(image) + " " + quoted(copy));
    return copy;
  }
  static void expect_refused(const Detection& d, const std::string& prefix, const std::string& reason_part) {
    EXPECT_FALSE(d.map) << d.map->description;
    EXPECT_TRUE(d.recognised);
    EXPECT_EQ(d.reason.rfind(prefix, 0), 0u) << d.reason;
    EXPECT_NE(d.reason.find(reason_part), std::string::npos) << d.reason;
  }
  static void set_bits(const fs::path& image, std::uint64_t offset, std::uint8_t bits) {
    auto b = read_bytes(image, offset, 1);
    write_bytes(image, offset, {static_cast<std::uint8_t>(b[0] | bits)});
  }
  static void clear_bits(const fs::path& image, std::uint64_t offset, std::uint8_t bits) {
    auto b = read_bytes(image, offset, 1);
    write_bytes(image, offset, {static_cast<std::uint8_t>(b[0] & ~bits)});
  }

  testing::TempDir scratch_;
};

TEST_F(FsmapRefusal, TheUndamagedBasesAreAccepted) {
  for (const fs::path& image : {fat16(), fat32(), exfat()}) EXPECT_TRUE(detect(image).map) << image;
}

TEST_F(FsmapRefusal, Fat16DirtyOrHardErrorInFat1) {
  const fs::path clean = fat16();
  const std::uint64_t entry1 = fat_layout(clean).fat_offset + 2;
  fs::path image = copy_of(clean);
  clear_bits(image, entry1 + 1, 0x80);  // bit 15: clean shutdown
  expect_refused(detect(image), "FAT16: ", "dirty");
  image = copy_of(clean);
  clear_bits(image, entry1 + 1, 0x40);  // bit 14: no disk error
  expect_refused(detect(image), "FAT16: ", "disk error");
}

TEST_F(FsmapRefusal, Fat32DirtyOrHardErrorInFat1) {
  const fs::path clean = fat32();
  const std::uint64_t entry1 = fat_layout(clean).fat_offset + 4;
  fs::path image = copy_of(clean);
  clear_bits(image, entry1 + 3, 0x08);  // bit 27
  expect_refused(detect(image), "FAT32: ", "dirty");
  image = copy_of(clean);
  clear_bits(image, entry1 + 3, 0x04);  // bit 26
  expect_refused(detect(image), "FAT32: ", "disk error");
}

TEST_F(FsmapRefusal, FatDirtyInTheBootSector) {
  fs::path image = copy_of(fat16());
  set_bits(image, 0x25, 0x01);
  expect_refused(detect(image), "FAT16: ", "dirty");
  image = copy_of(fat32());
  set_bits(image, 0x41, 0x01);
  expect_refused(detect(image), "FAT32: ", "dirty");
}

TEST_F(FsmapRefusal, FatImplausibleOrTruncated) {
  fs::path image = copy_of(fat16());
  write_bytes(image, 0x0D, {3});  // sectors per cluster
  expect_refused(detect(image), "FAT: ", "implausible BPB");
  image = copy_of(fat32());
  expect_refused(detect(image, fs::file_size(image) - 512), "FAT: ", "larger than the partition");
}

// A cluster is free only if every FAT copy says so, whichever copy says otherwise.
TEST_F(FsmapRefusal, FatCopiesThatDisagreeKeepTheClusterUsed) {
  const fs::path clean = fat16();
  const fat::Layout l = fat_layout(clean);
  const FreeMap before = *detect(clean).map;
  const std::uint64_t offset = before.free.back().offset;
  const std::uint64_t cluster = (offset - l.data_offset) / l.cluster_size + 2;
  for (std::uint64_t copy : {0, 1}) {
    SCOPED_TRACE("FAT copy " + std::to_string(copy));
    const fs::path image = copy_of(clean);
    write_bytes(image, l.fat_offset + copy * l.fat_size + 2 * cluster, {0xFF, 0xFF});
    const Detection d = detect(image);
    ASSERT_TRUE(d.map) << d.reason;
    EXPECT_EQ(d.map->free_bytes(), before.free_bytes() - l.cluster_size);
    EXPECT_FALSE(covered_by(d.map->free, Range{offset, l.cluster_size}));
  }
}

TEST_F(FsmapRefusal, ExfatDirtyOrMediaFailure) {
  // VolumeFlags are outside the boot checksum, so only the flag itself refuses these.
  fs::path image = copy_of(exfat());
  set_bits(image, 106, 0x02);
  expect_refused(detect(image), "exFAT: ", "dirty");
  image = copy_of(exfat());
  set_bits(image, 106, 0x04);
  expect_refused(detect(image), "exFAT: ", "media failures");
}

TEST_F(FsmapRefusal, ExfatBootChecksumWrongOrTruncated) {
  fs::path image = copy_of(exfat());
  set_bits(image, 200, 0x01);  // boot code
  expect_refused(detect(image), "exFAT: ", "boot region checksum wrong");
  image = copy_of(exfat());
  expect_refused(detect(image, fs::file_size(image) - 512), "exFAT: ", "larger than the partition");
}

TEST_F(FsmapRefusal, ExfatBitmapMissingOrMarkingItselfFree) {
  const fs::path clean = exfat();
  std::string why;
  const exfat::Layout l = exfat::parse_boot_region(read_bytes(clean, 0, 12 * 512), fs::file_size(clean), why).value();
  const std::uint64_t root = l.cluster_offset(l.root_cluster);
  std::uint64_t entry = root;
  while (read_bytes(clean, entry, 1)[0] != 0x81) entry += 32;
  const std::uint64_t bitmap_cluster = read_bytes(clean, entry + 20, 1)[0];  // a low cluster on a new volume
  fs::path image = copy_of(clean);
  write_bytes(image, entry, {0x01});  // no longer an allocation bitmap entry
  expect_refused(detect(image), "exFAT: ", "allocation bitmap entry missing");
  image = copy_of(clean);
  clear_bits(image, l.cluster_offset(bitmap_cluster) + (bitmap_cluster - 2) / 8,
             static_cast<std::uint8_t>(1u << ((bitmap_cluster - 2) % 8)));
  expect_refused(detect(image), "exFAT: ", "marks its own clusters free");
}

TEST_F(FsmapRefusal, NoFilesystem) {
  const fs::path zeros = scratch_ / "zeros.img";
  must("truncate -s 4M " + quoted(zeros));
  Detection d = detect(zeros);
  EXPECT_FALSE(d.map);
  EXPECT_FALSE(d.recognised);
  EXPECT_EQ(d.reason, "no ext4, FAT or exFAT signature");

  const fs::path noise = scratch_ / "noise.img";
  std::vector<std::uint8_t> bytes(1 << 20);
  std::mt19937 random(42);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  std::ofstream(noise, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize{1 << 20});
  d = detect(noise);
  EXPECT_FALSE(d.map);
  EXPECT_FALSE(d.recognised);

  d = detect(zeros, 100);
  EXPECT_FALSE(d.map);
  EXPECT_FALSE(d.recognised);

  // NTFS's boot sector looks like FAT's up to the sector size but has no reserved sectors or FATs.
  auto boot = read_bytes(fat16(), 0, 512);
  std::fill(boot.begin() + 0x0E, boot.begin() + 0x11, std::uint8_t{0});
  write_bytes(zeros, 0, boot);
  d = detect(zeros);
  EXPECT_FALSE(d.map);
  EXPECT_FALSE(d.recognised) << d.reason;
}

// A FAT boot sector over an ext4 filesystem (mkfs.vfat's leftovers, say): which one is live?
TEST_F(FsmapRefusal, TwoSignaturesAreRefused) {
  const fs::path image = scratch_ / "both.img";
  must("truncate -s 16M " + quoted(image) + " && mke2fs -q -F -t ext4 -b 4096 " + quoted(image));
  write_bytes(image, 0, read_bytes(fat16(), 0, 512));
  const Detection d = detect(image);
  EXPECT_FALSE(d.map);
  EXPECT_TRUE(d.recognised);
  EXPECT_EQ(d.reason, "both ext4 and FAT signatures: which filesystem is live is unclear");
}

TEST_F(FsmapRefusal, ReadErrorsPropagateUnchanged) {
  struct Boom {};
  const fs::path ext4 = scratch_ / "ext4.img";
  must("truncate -s 16M " + quoted(ext4) + " && mke2fs -q -F -t ext4 " + quoted(ext4));
  for (const fs::path& image : {ext4, fat16(), fat32(), exfat()}) {
    for (int fail_at = 1; fail_at <= 4; ++fail_at) {
      SCOPED_TRACE(image.string() + " read " + std::to_string(fail_at));
      ImageReader reader(image);
      const ReadFn inner = reader.fn();
      int reads = 0;
      const ReadFn failing = [&](std::uint64_t offset, std::span<std::uint8_t> out) {
        if (++reads == fail_at) throw Boom{};
        inner(offset, out);
      };
      // Every reader reads at least four times: the head, its superblock or boot sector, and more.
      EXPECT_THROW(detect_free_map(failing, reader.size), Boom);
    }
  }
}

}  // namespace
}  // namespace mtkfs::fsmap::test
