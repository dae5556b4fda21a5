// Disk images for mtkfs-sim: the four eMMC hardware partitions of a simulated NW-A50 and a
// synthetic Download Agent file (spec: docs/protocol/partitions.md §2-§7, docs/protocol/da-file.md §5;
// details in README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mtkfs::sim::image {

enum class Layout { none, gpt, mbr };

struct InitOptions {
  std::filesystem::path dir;
  std::uint64_t boot1_size = 4 << 20, boot2_size = 4 << 20, rpmb_size = 16 << 20,
                user_size = 256ull << 20;
  Layout layout = Layout::gpt;
  bool pattern = false;
  bool mtk_last_size = false;
};

// Writes DIR/boot1.img, boot2.img, rpmb.img and user.img (sparse, replacing existing files).
// Throws std::runtime_error with a message naming the offending option or file.
void init_disk(const InitOptions&);

// Writes the 0x4400-byte synthetic DA container of docs/protocol/da-file.md §5.
void write_synthetic_da(const std::filesystem::path& file);

// pattern: every 8-byte little-endian word at byte offset `off` of region `id` holds
// (std::uint64_t(id) << 56) | off, where id is the DA partition id (1 boot1, 2 boot2, 3 rpmb, 8 user).
std::uint64_t pattern_word(std::uint8_t region_id, std::uint64_t offset);

// ---- Additions beyond the required API (shared with simdev and other helpers' tests) ----

inline constexpr std::uint64_t kSector = 512;
inline constexpr std::uint8_t kRegionBoot1 = 1, kRegionBoot2 = 2, kRegionRpmb = 3, kRegionUser = 8;

// User-area offsets of the MediaTek MBR/EBR scheme (docs/protocol/partitions.md §5.2).
inline constexpr std::uint64_t kEbr1Offset = 0x80000;
inline constexpr std::uint64_t kEbrReservation = 0x80000;
inline constexpr std::uint64_t kEbr2Offset = 0x100000;
inline constexpr unsigned kEbrCount = 9;
inline constexpr std::uint64_t kPmtDistanceFromEnd = 0x100000;
inline constexpr std::uint64_t kPmtRegionSize = 0x1000;
inline constexpr std::uint32_t kPmtSignature = 0x50547631;        // "PTv1" read as LE u32
inline constexpr std::uint32_t kPmtMirrorSignature = 0x4D505431;  // "MPT1"
inline constexpr std::size_t kPmtRecordSize = 0x58;

// One data partition of the NW-A50 user area (p2..p29 in Linux numbering), offsets in bytes.
struct PartitionSpec {
  std::string name;
  std::uint64_t offset;
  std::uint64_t size;
};

// The partition list init_disk writes for a user area of `user_size` bytes: the real NW-A50
// sizes when they fit, otherwise the compact table (README.md). The last entry is `contents`,
// ending at user_size - 0x100000 for Layout::mbr (where the PMT starts) and at the last 1 MiB
// boundary before the backup GPT for Layout::gpt (the same place when user_size is MiB-aligned).
// Throws std::runtime_error if the user area is too small or layout is none.
std::vector<PartitionSpec> partition_table(std::uint64_t user_size, Layout layout);

// Smallest user area (bytes) that holds the compact table with a 1 MiB `contents`.
std::uint64_t minimum_user_size();

// Known content of the ext4 file system in the "android" partition (README.md).
inline constexpr std::string_view kAndroidPartitionName = "android";
inline constexpr std::string_view kExt4Label = "system";
inline constexpr std::string_view kHelloTxtPath = "/etc/hello.txt";
inline constexpr std::string_view kHelloTxtContent = "Hello from mtkfs-sim\n";
inline constexpr std::string_view kBuildPropPath = "/build.prop";
inline constexpr std::string_view kBuildPropContent =
    "# mtkfs-sim synthetic system partition\n"
    "ro.product.brand=Sony\n"
    "ro.product.model=NW-A50\n"
    "ro.board.platform=mt8590\n"
    "ro.build.version.release=4.4.2\n"
    "ro.mtkfs.sim=1\n";
inline constexpr std::string_view kPatternBinPath = "/data/pattern.bin";
inline constexpr std::uint64_t kPatternBinSize = 1 << 20;
// data/pattern.bin: the 8-byte LE word at file offset `off` is 0xA5 << 56 | off (0xA5 is not a
// region id, so a file read from the wrong place never looks right by accident).
std::uint64_t pattern_bin_word(std::uint64_t offset);

// The synthetic DA file's identifying strings (docs/protocol/da-file.md §5).
inline constexpr std::size_t kSyntheticDaSize = 0x4400;
inline constexpr std::string_view kDa1Tag = "MTKFS-SIM DA1";
inline constexpr std::string_view kDa2Tag = "MTKFS-SIM DA2";
inline constexpr std::string_view kDa2HashMarker = "DA2_SHA256_HASH:";
inline constexpr std::size_t kDa2HashMarkerOffset = 0x200;  // inside DA1; the hash follows it

}  // namespace mtkfs::sim::image
