#include "partition/ext4_name.h"

#include <algorithm>

#include "partition/little_endian.h"
#include "partition/names.h"

namespace mtkfs::partition {

std::string ext4_name(std::span<const std::uint8_t> superblock) {
  constexpr std::uint16_t kMagic = 0xEF53;
  if (superblock.size() < kExt4NameBytesNeeded || detail::le16(superblock, 0x38) != kMagic) return {};
  std::string name = sanitize_utf8(superblock.subspan(0x78, 16));
  if (!name.empty()) return name;
  name = sanitize_utf8(superblock.subspan(0x88, 64));
  name.erase(std::remove(name.begin(), name.end(), '/'), name.end());
  return name;
}

}  // namespace mtkfs::partition
