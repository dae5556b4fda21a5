// Integer encoding helpers. The USB wire is big-endian; DA files are little-endian
// (spec README "Conventions"), so both directions are spelled out at every call site.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mtkfs::da::bytes {

inline std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at = 0) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at = 0) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}
inline std::uint64_t be64(std::span<const std::uint8_t> b, std::size_t at = 0) {
  return (std::uint64_t{be32(b, at)} << 32) | be32(b, at + 4);
}
inline std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at = 0) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
inline std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at = 0) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

inline std::array<std::uint8_t, 2> to_be16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
inline std::array<std::uint8_t, 4> to_be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// Appends big-endian fields to a message under construction.
// A message and where its fields end: the DA's messages go on the wire one field per transfer.
class MessageBuilder {
 public:
  MessageBuilder& u8(std::uint8_t v) { return uint(v, 1); }
  MessageBuilder& u16(std::uint16_t v) { return uint(v, 2); }
  MessageBuilder& u32(std::uint32_t v) { return uint(v, 4); }
  MessageBuilder& u64(std::uint64_t v) { return uint(v, 8); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::size_t field_count() const { return field_ends_.size(); }
  std::span<const std::uint8_t> field(std::size_t index) const {
    const std::size_t begin = index == 0 ? 0 : field_ends_[index - 1];
    return std::span(bytes_).subspan(begin, field_ends_[index] - begin);
  }

 private:
  MessageBuilder& uint(std::uint64_t v, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8)
      bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
    field_ends_.push_back(bytes_.size());
    return *this;
  }
  std::vector<std::uint8_t> bytes_;
  std::vector<std::size_t> field_ends_;
};

// "5A 01 C0" — how error messages and the info printout show raw bytes. Long inputs are cut
// after `limit` bytes with a trailing "…(N bytes)" so a message never floods the terminal.
std::string hex(std::span<const std::uint8_t> data, std::size_t limit = 32);

// Appends `item` to a separator-joined list. (Also sidesteps g++ 12's false -Wrestrict alarm on
// `"literal" + std::string` in optimised builds.)
inline void append_item(std::string& list, const std::string& item, const char* separator = ", ") {
  if (!list.empty()) list += separator;
  list += item;
}

// "0x8590", zero-padded to `digits`.
std::string hex_number(std::uint64_t value, int digits);

}  // namespace mtkfs::da::bytes
