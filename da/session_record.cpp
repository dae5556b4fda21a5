#include "da/session_record.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "da/block_device.h"
#include "da/bytes.h"

namespace mtkfs::da {
namespace {

constexpr std::string_view kHeader = "# mtkfs session record 1";
constexpr std::size_t kMaxRecordBytes = 4096;

struct SizeField {
  const char* key;
  HwPartition part;
};
constexpr SizeField kSizes[] = {{"boot1", HwPartition::boot1}, {"boot2", HwPartition::boot2},
                                {"rpmb", HwPartition::rpmb},   {"gp1", HwPartition::gp1},
                                {"gp2", HwPartition::gp2},     {"gp3", HwPartition::gp3},
                                {"gp4", HwPartition::gp4},     {"user", HwPartition::user}};

std::uint64_t* size_slot(FlashReport& r, HwPartition part) {
  switch (part) {
    case HwPartition::boot1: return &r.emmc_boot1_size;
    case HwPartition::boot2: return &r.emmc_boot2_size;
    case HwPartition::rpmb: return &r.emmc_rpmb_size;
    case HwPartition::gp1: return &r.emmc_gp_size[0];
    case HwPartition::gp2: return &r.emmc_gp_size[1];
    case HwPartition::gp3: return &r.emmc_gp_size[2];
    case HwPartition::gp4: return &r.emmc_gp_size[3];
    case HwPartition::user: return &r.emmc_user_size;
  }
  return nullptr;
}

std::string hex_digits(std::uint64_t value) {
  std::ostringstream out;
  out << std::uppercase << std::hex << value;
  return out.str();
}

bool parse_hex(std::string_view text, std::uint64_t max, std::uint64_t& value) {
  if (text.empty() || text.size() > 16) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return ec == std::errc() && end == text.data() + text.size() && value <= max;
}

}  // namespace

std::string format_session_record(const std::string& link, const FlashInfo& info) {
  std::string cid;
  for (std::uint8_t b : info.report.emmc_cid) cid += bytes::hex_number(b, 2).substr(2);
  std::string out = std::string(kHeader) + "\nlink=" + link + "\n";
  out += "hw_code=" + hex_digits(info.preloader.hw_code) + " hw_ver=" + hex_digits(info.preloader.hw_ver) +
         " sw_ver=" + hex_digits(info.preloader.sw_ver) + " usb_speed=" + hex_digits(info.usb_speed) + "\n";
  out += "cid=" + cid + "\n";
  std::string sizes;
  for (const SizeField& f : kSizes) sizes += std::string(sizes.empty() ? "" : " ") + f.key + "=" + hex_digits(info.partition_size(f.part));
  out += sizes + "\nda_file=" + info.da_file.path + "\n";
  return out;
}

std::optional<SessionRecord> parse_session_record(std::string_view text, std::string& error) {
  if (text.size() > kMaxRecordBytes) return error = "too long", std::nullopt;
  if (!text.starts_with(kHeader) || text.size() == kHeader.size() || text[kHeader.size()] != '\n')
    return error = "not a session record (no header line)", std::nullopt;
  std::map<std::string, std::string, std::less<>> fields;
  std::string_view rest = text.substr(kHeader.size() + 1);
  while (!rest.empty()) {
    const std::size_t eol = rest.find('\n');
    if (eol == std::string_view::npos) return error = "the last line is cut short", std::nullopt;
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 1);
    // link= and da_file= take the rest of their line (paths may hold spaces); the others are words.
    const bool whole_line = line.starts_with("link=") || line.starts_with("da_file=");
    while (!line.empty()) {
      const std::size_t end = whole_line ? line.size() : std::min(line.find(' '), line.size());
      const std::string_view item = line.substr(0, end);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) return error = "a field without '='", std::nullopt;
      if (!fields.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))).second)
        return error = "a field given twice", std::nullopt;
      line.remove_prefix(std::min(end + 1, line.size()));
    }
  }
  auto field = [&](const char* key) -> const std::string* {
    const auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
  };
  SessionRecord record;
  std::uint64_t value = 0;
  const struct {
    const char* key;
    std::uint64_t max;
    std::function<void(std::uint64_t)> set;
  } numbers[] = {
      {"hw_code", 0xFFFF, [&](std::uint64_t v) { record.info.preloader.hw_code = static_cast<std::uint16_t>(v); }},
      {"hw_ver", 0xFFFF, [&](std::uint64_t v) { record.info.preloader.hw_ver = static_cast<std::uint16_t>(v); }},
      {"sw_ver", 0xFFFF, [&](std::uint64_t v) { record.info.preloader.sw_ver = static_cast<std::uint16_t>(v); }},
      {"usb_speed", 2, [&](std::uint64_t v) { record.info.usb_speed = static_cast<std::uint8_t>(v); }},
  };
  for (const auto& n : numbers) {
    const std::string* text_value = field(n.key);
    if (!text_value || !parse_hex(*text_value, n.max, value)) return error = std::string("bad or missing ") + n.key, std::nullopt;
    n.set(value);
  }
  for (const SizeField& f : kSizes) {
    const std::string* text_value = field(f.key);
    if (!text_value || !parse_hex(*text_value, ~std::uint64_t{0}, value) || value % 512 != 0)
      return error = std::string("bad or missing size ") + f.key, std::nullopt;
    *size_slot(record.info.report, f.part) = value;
  }
  if (record.info.report.emmc_user_size == 0) return error = "no user area", std::nullopt;
  const std::string* cid = field("cid");
  if (!cid || cid->size() != 32) return error = "bad or missing cid", std::nullopt;
  for (std::size_t i = 0; i < 16; ++i) {
    if (!parse_hex(std::string_view(*cid).substr(2 * i, 2), 0xFF, value)) return error = "bad cid", std::nullopt;
    record.info.report.emmc_cid[i] = static_cast<std::uint8_t>(value);
  }
  const std::string* link = field("link");
  const std::string* da_file = field("da_file");
  if (!link || link->empty() || !da_file) return error = "missing link or da_file", std::nullopt;
  record.link = *link;
  record.info.connection = *link;
  record.info.da_file.path = *da_file;
  if (fields.size() != std::size(numbers) + std::size(kSizes) + 3) return error = "unknown fields", std::nullopt;
  return record;
}

void save_session_record(const std::filesystem::path& file, const std::string& link, const FlashInfo& info) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  const std::filesystem::path temporary = file.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << format_session_record(link, info);
    out.close();
    if (!out) {
      spdlog::warn("cannot write the session record {} (a later mtkfs could not continue this DA)", temporary.string());
      return;
    }
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) spdlog::warn("cannot write the session record {}: {}", file.string(), ec.message());
}

std::optional<SessionRecord> load_session_record(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxRecordBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto record = parse_session_record(text, error);
  if (!record) error = file.string() + ": " + error;
  return record;
}

void remove_session_record(const std::filesystem::path& file) {
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

}  // namespace mtkfs::da
