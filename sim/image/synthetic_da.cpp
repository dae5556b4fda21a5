// The legacy DA container of docs/protocol/da-file.md (§5 for the default file). The simulator never
// runs DA code, so the regions only need the right geometry, recognisable tags and DA1's hash of DA2.
#include "sim/image/synthetic_da.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string_view>

#include "sim/image/byte_order.h"

namespace mtkfs::sim::image {
namespace {

using detail::put_bytes;
using detail::put_le16;
using detail::put_le32;
using detail::put_text;

constexpr std::size_t kEntryTableOffset = 0x6C;
constexpr std::size_t kRegionRecordSize = 20;
constexpr std::size_t kSweepStart = 0x1000;

bool fits(std::span<const std::uint8_t> file, const DaRegionSpec& r) {
  return std::uint64_t{r.offset} + r.length <= file.size();
}

// A repeated text is easy to spot in dumps and cannot contain mtkclient's DA2 patch patterns.
void put_signature_filler(std::span<std::uint8_t> file, const DaRegionSpec& r, std::string_view unit) {
  const std::size_t start = r.offset + r.length - r.sig_length;
  for (std::size_t i = 0; i < r.sig_length; ++i) file[start + i] = static_cast<std::uint8_t>(unit[i % unit.size()]);
}

void put_region_payload(std::span<std::uint8_t> f, const SyntheticDaOptions& o, std::size_t index,
                        const DaRegionSpec& r) {
  const std::string tag = o.tag + std::to_string(index);
  const std::size_t body = r.length - std::min(r.length, r.sig_length);
  switch (o.payload) {
    case DaPayload::simulator:
      put_text(f, r.offset, tag.substr(0, r.length));
      if (r.sig_length > 0 && r.sig_length <= r.length) {
        const std::string unit = "MTKFS-SIM SIG" + std::to_string(index);
        put_signature_filler(f, r, std::string(unit).append(16 - std::min<std::size_t>(16, unit.size()), '\0'));
      }
      break;
    case DaPayload::pattern:
      for (std::size_t i = 0; i < body; ++i)
        f[r.offset + i] =
            i < tag.size() ? static_cast<std::uint8_t>(tag[i]) : static_cast<std::uint8_t>((i * 7 + index) & 0xFF);
      for (std::size_t i = body; i < r.length; ++i) f[r.offset + i] = 0xEE;
      break;
    case DaPayload::tags_only:
      put_text(f, r.offset, tag.substr(0, r.length));
      if (std::uint64_t{r.offset} + r.sig_offset + r.sig_length <= f.size())
        std::fill_n(f.begin() + r.offset + r.sig_offset, r.sig_length, std::uint8_t{0xEE});
      break;
    case DaPayload::sweep: break;  // the whole tail at once, after the entries
  }
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    throw std::runtime_error("SHA-256 computation failed (OpenSSL EVP_Digest)");
  return digest;
}

// make-da's extras in the first entry's DA2 and DA1. Done last: the hash covers the finished DA2
// body (without its signature).
void put_simulator_extras(std::span<std::uint8_t> f, const DaEntrySpec& entry) {
  if (entry.regions.size() < 3) return;
  const DaRegionSpec& da1 = entry.regions[1];
  const DaRegionSpec& da2 = entry.regions[2];
  if (!fits(f, da1) || !fits(f, da2) || da2.sig_length > da2.length) return;
  const std::string_view sentence = "stage 2 of the mtkfs simulator; never executed";
  if (0x40 + sentence.size() <= da2.length) put_text(f, da2.offset + 0x40, sentence);
  if (kDa2HashMarkerOffset + kDa2HashMarker.size() + 32 > da1.length) return;
  const auto digest = sha256(f.subspan(da2.offset, da2.length - da2.sig_length));
  put_text(f, da1.offset + kDa2HashMarkerOffset, kDa2HashMarker);
  put_bytes(f, da1.offset + kDa2HashMarkerOffset + kDa2HashMarker.size(), digest);
}

}  // namespace

std::vector<std::uint8_t> build_synthetic_da(const SyntheticDaOptions& o) {
  std::vector<std::uint8_t> bytes(o.file_size, 0);
  std::span<std::uint8_t> f(bytes);
  put_text(f, 0x00, "MTK_DOWNLOAD_AGENT");
  put_text(f, 0x20, std::string_view(o.description).substr(0, 64));
  put_le32(f, 0x60, o.info_version);
  put_le32(f, 0x64, o.info_magic);
  put_le32(f, 0x68, static_cast<std::uint32_t>(o.entries.size()));

  const std::size_t entry_size = o.old_entries ? 0xD8 : 0xDC;
  for (std::size_t e = 0; e < o.entries.size(); ++e) {
    const DaEntrySpec& entry = o.entries[e];
    const std::size_t at = kEntryTableOffset + e * entry_size;
    put_le16(f, at + 0x00, entry.magic);
    put_le16(f, at + 0x02, entry.hw_code);
    put_le16(f, at + 0x04, entry.hw_sub_code);
    put_le16(f, at + 0x06, entry.hw_ver);
    std::size_t index_at = 0x0C;  // old entries: no sw_ver, no reserved bytes
    if (!o.old_entries) {
      put_le16(f, at + 0x08, entry.sw_ver);
      index_at = 0x10;
    }
    put_le16(f, at + index_at, entry.entry_region_index);
    put_le16(f, at + index_at + 2, static_cast<std::uint16_t>(entry.regions.size()));
    for (std::size_t r = 0; r < entry.regions.size(); ++r) {
      const DaRegionSpec& reg = entry.regions[r];
      const std::size_t record = at + index_at + 4 + r * kRegionRecordSize;
      put_le32(f, record + 0x00, reg.offset);
      put_le32(f, record + 0x04, reg.length);
      put_le32(f, record + 0x08, reg.load_address);
      put_le32(f, record + 0x0C, reg.sig_offset);
      put_le32(f, record + 0x10, reg.sig_length);
      if (fits(f, reg)) put_region_payload(f, o, r, reg);
    }
  }
  if (o.payload == DaPayload::sweep)
    for (std::size_t i = kSweepStart; i < bytes.size(); ++i)
      bytes[i] = static_cast<std::uint8_t>(i * 7 + o.sweep_seed + (i >> 8));
  if (o.payload == DaPayload::simulator && !o.entries.empty()) put_simulator_extras(f, o.entries[0]);
  return bytes;
}

SyntheticDaOptions protocol_test_da_options() {
  SyntheticDaOptions o;
  o.payload = DaPayload::pattern;
  o.tag = "MTKFS-TEST DA";
  return o;
}

SyntheticDaOptions fuzz_da_options() {
  SyntheticDaOptions o;
  o.description = "MTKFS_FUZZ_DA_v1 legacy MT8590";
  o.payload = DaPayload::tags_only;
  o.tag = "MTKFS-FUZZ DA";
  return o;
}

void write_synthetic_da(const std::filesystem::path& file) {
  const std::vector<std::uint8_t> bytes = build_synthetic_da();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write the synthetic DA file " + file.string());
}

}  // namespace mtkfs::sim::image
