// Partition listings of an MBR/EBR disk by three parsers, for tests that cannot rely on one:
// the kernel (via loop --partscan and sysfs), libblkid (partx) and a reference decoder in this
// test suite that applies the kernel's block/partitions/msdos.c rules
// (docs/protocol/partitions.md §3.2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mtkfs::sim::image::test {

struct ListedPartition {
  int number;  // Linux numbering: p1..p4 MBR slots, p5.. logicals in chain order
  std::uint64_t start_sector;
  std::uint64_t sectors;
};

// True if this kernel parses MBRs itself (CONFIG_MSDOS_PARTITION): probed once with a small
// sfdisk-made control image attached with --partscan.
bool kernel_has_msdos_parser();

// /sys/class/block/<loop>pN/{start,size} for N = 1..64.
std::vector<ListedPartition> sysfs_partitions(const std::string& loop_name);

// `partx --raw` (libblkid) of a device or image; counts are reported unclamped.
std::vector<ListedPartition> libblkid_partitions(const std::string& device);

// The kernel's rules: every non-empty, non-extended EBR entry is a logical partition (entries 3
// and 4 only if they lie inside the extended partition), the first link is followed relative to
// EBR1, an extended MBR entry is reported with 2 sectors, and sizes are clamped to the disk end.
std::vector<ListedPartition> reference_msdos_partitions(const std::filesystem::path& device);

}  // namespace mtkfs::sim::image::test
