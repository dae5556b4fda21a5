// The minimal legacy DA container of docs/protocol/da-file.md §5. The simulator never runs DA code,
// so the regions only need the right geometry, recognisable tags and DA1's hash of DA2.
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "sim/image/byte_order.h"
#include "sim/image/image.h"

namespace mtkfs::sim::image {
namespace {

using detail::put_bytes;
using detail::put_le16;
using detail::put_le32;
using detail::put_text;

struct Region {
  std::uint32_t offset, length, load_address, sig_length;
};

constexpr std::size_t kEntryOffset = 0x6C;
constexpr std::size_t kRegionRecordSize = 20;
constexpr Region kRegion0{0x1000, 0x200, 0x80010000, 0};
constexpr Region kDa1{0x1200, 0x1100, 0x00200000, 0x100};
constexpr Region kDa2{0x2300, 0x2100, 0x80000000, 0x100};
static_assert(kDa2.offset + kDa2.length == kSyntheticDaSize);

void put_region_record(std::span<std::uint8_t> file, std::size_t index, const Region& r) {
  const std::size_t base = kEntryOffset + 0x14 + index * kRegionRecordSize;
  put_le32(file, base + 0x00, r.offset);
  put_le32(file, base + 0x04, r.length);
  put_le32(file, base + 0x08, r.load_address);
  put_le32(file, base + 0x0C, r.length - r.sig_length);
  put_le32(file, base + 0x10, r.sig_length);
}

// A repeated text is easy to spot in dumps and cannot contain mtkclient's DA2 patch patterns.
void put_signature_filler(std::span<std::uint8_t> file, const Region& r, std::string_view unit) {
  const std::size_t start = r.offset + r.length - r.sig_length;
  for (std::size_t i = 0; i < r.sig_length; ++i)
    file[start + i] = static_cast<std::uint8_t>(unit[i % unit.size()]);
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    throw std::runtime_error("SHA-256 computation failed (OpenSSL EVP_Digest)");
  return digest;
}

}  // namespace

void write_synthetic_da(const std::filesystem::path& file) {
  std::vector<std::uint8_t> bytes(kSyntheticDaSize, 0);
  std::span<std::uint8_t> f(bytes);
  put_text(f, 0x00, "MTK_DOWNLOAD_AGENT");
  put_text(f, 0x20, "MTKFS_SIM_DA_v1 legacy MT8590");
  put_le32(f, 0x60, 4);            // info version the C tool requires
  put_le32(f, 0x64, 0x22668899);   // info magic
  put_le32(f, 0x68, 1);            // one entry

  put_le16(f, kEntryOffset + 0x00, 0xDADA);
  put_le16(f, kEntryOffset + 0x02, 0x8590);  // hw_code
  put_le16(f, kEntryOffset + 0x04, 0);       // hw_sub_code
  put_le16(f, kEntryOffset + 0x06, 0xCA00);  // hw_ver <= the NW-A50's 0xCB01
  put_le16(f, kEntryOffset + 0x08, 0);       // sw_ver <= 0x0102
  put_le16(f, kEntryOffset + 0x10, 0);       // entry_region_index
  put_le16(f, kEntryOffset + 0x12, 3);       // load_regions_count
  put_region_record(f, 0, kRegion0);
  put_region_record(f, 1, kDa1);
  put_region_record(f, 2, kDa2);

  put_text(f, kRegion0.offset, "MTKFS-SIM DA0");
  put_text(f, kDa1.offset, kDa1Tag);
  put_text(f, kDa2.offset, kDa2Tag);
  put_text(f, kDa2.offset + 0x40, "stage 2 of the mtkfs simulator; never executed");
  put_signature_filler(f, kDa1, std::string_view("MTKFS-SIM SIG1\0\0", 16));
  put_signature_filler(f, kDa2, std::string_view("MTKFS-SIM SIG2\0\0", 16));

  // Done last: the hash covers the finished DA2 body (without its signature).
  const auto digest = sha256(f.subspan(kDa2.offset, kDa2.length - kDa2.sig_length));
  put_text(f, kDa1.offset + kDa2HashMarkerOffset, kDa2HashMarker);
  put_bytes(f, kDa1.offset + kDa2HashMarkerOffset + kDa2HashMarker.size(), digest);

  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write the synthetic DA file " + file.string());
}

}  // namespace mtkfs::sim::image
