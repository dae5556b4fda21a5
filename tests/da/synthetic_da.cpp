#include "tests/da/synthetic_da.h"

#include <algorithm>
#include <cstring>

namespace mtkfs::testing {

void put_le16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

void put_le32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  put_le16(b, at, static_cast<std::uint16_t>(v));
  put_le16(b, at + 2, static_cast<std::uint16_t>(v >> 16));
}

std::vector<std::uint8_t> build_da_file(const SyntheticDa& spec) {
  std::vector<std::uint8_t> f(spec.file_size, 0);
  const char id[] = "MTK_DOWNLOAD_AGENT";
  std::memcpy(f.data(), id, sizeof id - 1);
  std::memcpy(f.data() + 0x20, spec.description.data(),
              std::min<std::size_t>(64, spec.description.size()));
  put_le32(f, 0x60, spec.info_version);
  put_le32(f, 0x64, spec.info_magic);
  put_le32(f, 0x68, static_cast<std::uint32_t>(spec.entries.size()));

  const std::size_t entry_size = spec.old_entries ? 0xD8 : 0xDC;
  for (std::size_t e = 0; e < spec.entries.size(); ++e) {
    const SyntheticEntry& entry = spec.entries[e];
    const std::size_t at = 0x6C + e * entry_size;
    put_le16(f, at + 0x00, entry.magic);
    put_le16(f, at + 0x02, entry.hw_code);
    put_le16(f, at + 0x04, entry.hw_sub_code);
    put_le16(f, at + 0x06, entry.hw_ver);
    std::size_t index_at = 0x0C;
    if (!spec.old_entries) {
      put_le16(f, at + 0x08, entry.sw_ver);
      index_at = 0x10;
    }
    put_le16(f, at + index_at, entry.entry_region_index);
    put_le16(f, at + index_at + 2, static_cast<std::uint16_t>(entry.regions.size()));
    for (std::size_t r = 0; r < entry.regions.size(); ++r) {
      const SyntheticRegion& reg = entry.regions[r];
      const std::size_t rat = at + index_at + 4 + r * 20;
      put_le32(f, rat + 0, reg.offset);
      put_le32(f, rat + 4, reg.length);
      put_le32(f, rat + 8, reg.load_address);
      put_le32(f, rat + 12, reg.sig_offset);
      put_le32(f, rat + 16, reg.sig_length);
      if (std::uint64_t{reg.offset} + reg.length > f.size()) continue;
      const std::string tag = "MTKFS-TEST DA" + std::to_string(r);
      const std::size_t body = reg.length - std::min(reg.length, reg.sig_length);
      for (std::size_t i = 0; i < body; ++i)
        f[reg.offset + i] = i < tag.size() ? static_cast<std::uint8_t>(tag[i])
                                           : static_cast<std::uint8_t>((i * 7 + r) & 0xFF);
      for (std::size_t i = body; i < reg.length; ++i) f[reg.offset + i] = 0xEE;
    }
  }
  return f;
}

}  // namespace mtkfs::testing
