// The pieces init_disk assembles; each writes only the sectors it owns.
#pragma once

#include <filesystem>
#include <vector>

#include "sim/image/disk_file.h"
#include "sim/image/image.h"

namespace mtkfs::sim::image::detail {

// EMMC_BOOT / BRLYT / GFH headers of docs/protocol/partitions.md §7 (sectors 0, 1 and 4 of boot1).
void write_boot1_header(DiskFile& boot1);

// Protective MBR, primary GPT at LBA 1..33, backup GPT in the last 33 sectors.
void write_gpt(DiskFile& user, const std::vector<PartitionSpec>& table);

// MBR + EBR1..EBR9 as MediaTek's ptgen writes them (docs/protocol/partitions.md §3.3, §5.2).
void write_mbr_ebr(DiskFile& user, const std::vector<PartitionSpec>& table, bool mtk_last_size);

// PMT v1.1 at size - 1 MiB and its MPT1 mirror (docs/protocol/partitions.md §4.1, §5.3).
void write_pmt(DiskFile& user, const std::vector<PartitionSpec>& table);

// Builds the ext4 "system" file system with mke2fs and copies it into `partition`.
void write_system_ext4(DiskFile& user, const PartitionSpec& partition, bool user_is_zero);

}  // namespace mtkfs::sim::image::detail
