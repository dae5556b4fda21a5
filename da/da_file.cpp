#include "da/da_file.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string_view>

#include "da/bytes.h"
#include "da/errors.h"

namespace mtkfs::da {
namespace {

constexpr std::string_view kIdentifier = "MTK_DOWNLOAD_AGENT";
// mtkclient switches to the XML protocol when this appears in the first 0x68 bytes.
constexpr std::string_view kV6Marker = "MTK_DA_v6";

std::string nul_padded_text(std::span<const std::uint8_t> field) {
  auto end = std::find(field.begin(), field.end(), std::uint8_t{0});
  std::string text(field.begin(), end);
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  return text;
}

bool contains(std::span<const std::uint8_t> haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw DaFileError("DA file " + name + " " + what);
}

// The 0xDC layout has sw_ver and a reserved word that 0xD8 entries lack
// (docs/protocol/da-file.md §2.1).
DaEntry parse_entry(std::span<const std::uint8_t> raw, std::size_t index, bool old_layout) {
  DaEntry entry;
  entry.index = index;
  entry.magic = bytes::le16(raw, 0x00);
  entry.hw_code = bytes::le16(raw, 0x02);
  entry.hw_sub_code = bytes::le16(raw, 0x04);
  entry.hw_ver = bytes::le16(raw, 0x06);
  entry.sw_ver = old_layout ? 0 : bytes::le16(raw, 0x08);
  const std::size_t index_at = old_layout ? 0x0C : 0x10;
  entry.entry_region_index = bytes::le16(raw, index_at);
  entry.region_count = bytes::le16(raw, index_at + 2);
  const std::size_t regions_at = index_at + 4;
  const std::size_t usable = std::min<std::size_t>(entry.region_count, kDaMaxRegions);
  for (std::size_t i = 0; i < usable; ++i) {
    auto r = raw.subspan(regions_at + i * kDaRegionSize, kDaRegionSize);
    entry.regions.push_back(DaRegion{bytes::le32(r, 0), bytes::le32(r, 4), bytes::le32(r, 8),
                                     bytes::le32(r, 12), bytes::le32(r, 16)});
  }
  return entry;
}

std::string region_problem(const DaEntry& entry, std::size_t file_size) {
  if (entry.region_count > kDaMaxRegions)
    return "claims " + std::to_string(entry.region_count) + " regions (at most 10 exist)";
  for (std::size_t i = 0; i < entry.regions.size(); ++i) {
    const DaRegion& r = entry.regions[i];
    const std::uint64_t end = std::uint64_t{r.file_offset} + r.length;
    if (end > file_size)
      return "region " + std::to_string(i) + " (offset " + bytes::hex_number(r.file_offset, 1) +
             ", length " + bytes::hex_number(r.length, 1) + ") ends at " +
             bytes::hex_number(end, 1) + ", past the end of the file (" +
             bytes::hex_number(file_size, 1) + " bytes)";
    if (r.signature_length > r.length)
      return "region " + std::to_string(i) + " has a signature of " +
             std::to_string(r.signature_length) + " bytes but is only " + std::to_string(r.length) +
             " bytes long";
  }
  return {};
}

}  // namespace

DaFile parse_da_file(std::span<const std::uint8_t> data, std::string name) {
  if (data.size() < kDaHeaderSize)
    fail(name, "is truncated: " + std::to_string(data.size()) + " bytes, but its header alone is " +
                   std::to_string(kDaHeaderSize) + " bytes");
  DaFile file;
  file.name = std::move(name);
  file.identifier = nul_padded_text(data.subspan(0x00, 32));
  file.description = nul_padded_text(data.subspan(0x20, 64));
  if (file.identifier != kIdentifier)
    fail(file.name, "is not a MediaTek Download Agent: identifier \"" + file.identifier +
                        "\", expected \"" + std::string(kIdentifier) + "\"");
  if (contains(data.first(0x68), kV6Marker))
    fail(file.name, "is a V6 (XML protocol) DA (\"" + file.description +
                        "\"); mtkfs speaks the legacy DA protocol: use a legacy "
                        "MTK_AllInOne_DA file such as MTK_AllInOne_DA_5.x");
  file.info_version = bytes::le32(data, 0x60);
  file.info_magic = bytes::le32(data, 0x64);
  if (file.info_version != kDaInfoVersion)
    file.warnings.push_back("info version " + std::to_string(file.info_version) + ", expected 4");
  if (file.info_magic != kDaInfoMagic)
    file.warnings.push_back("info magic " + bytes::hex_number(file.info_magic, 8) +
                            ", expected 0x22668899");

  const std::uint32_t count = bytes::le32(data, 0x68);
  if (count == 0) fail(file.name, "lists no DA entries (entry count 0)");
  // mtkclient's rule: a second entry starting exactly 0xD8 bytes in means 0xD8-byte entries.
  const std::size_t probe = kDaHeaderSize + kDaOldEntrySize;
  const bool old_layout = data.size() >= probe + 2 && bytes::le16(data, probe) == kDaEntryMagic;
  file.entry_size = old_layout ? kDaOldEntrySize : kDaEntrySize;
  const std::uint64_t table_end = kDaHeaderSize + std::uint64_t{count} * file.entry_size;
  if (table_end > data.size())
    fail(file.name, "is truncated: it declares " + std::to_string(count) + " entries of " +
                        bytes::hex_number(file.entry_size, 1) + " bytes (ending at " +
                        bytes::hex_number(table_end, 1) + ") but has " +
                        std::to_string(data.size()) + " bytes");

  for (std::uint32_t i = 0; i < count; ++i) {
    auto raw = data.subspan(kDaHeaderSize + i * file.entry_size, file.entry_size);
    DaEntry entry = parse_entry(raw, i, old_layout);
    if (entry.magic != kDaEntryMagic)
      fail(file.name, "is corrupt: entry " + std::to_string(i) + " has magic " +
                          bytes::hex_number(entry.magic, 4) + ", expected 0xDADA");
    entry.problem = region_problem(entry, data.size());
    if (!entry.problem.empty())
      file.warnings.push_back("entry " + std::to_string(i) + " (hw code " +
                              bytes::hex_number(entry.hw_code, 4) + "): " + entry.problem);
    file.entries.push_back(std::move(entry));
  }
  file.data.assign(data.begin(), data.end());
  return file;
}

DaFile load_da_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DaFileError("DA file " + path.string() + " does not exist");
  if (std::filesystem::is_directory(path, ec))
    throw DaFileError("DA file " + path.string() + " is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DaFileError("DA file " + path.string() + " cannot be opened for reading");
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
  if (in.bad()) throw DaFileError("DA file " + path.string() + " could not be read");
  return parse_da_file(data, path.string());
}

}  // namespace mtkfs::da
