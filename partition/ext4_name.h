#pragma once

// docs/protocol/partitions.md §6 item 5: a name for an unnamed partition from its ext2/3/4
// superblock.

#include <cstdint>
#include <span>
#include <string>

namespace mtkfs::partition {

// The superblock starts 0x400 bytes into the partition; this many of its bytes are needed.
inline constexpr std::uint64_t kExt4SuperblockOffset = 0x400;
inline constexpr std::size_t kExt4NameBytesNeeded = 0x200;

// `superblock` = bytes from partition offset 0x400. Returns s_volume_name if set, else
// s_last_mounted with every '/' removed (mtkclient's choice, e.g. "/system" -> "system"), else "".
std::string ext4_name(std::span<const std::uint8_t> superblock);

}  // namespace mtkfs::partition
