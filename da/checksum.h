// The two checksums of the protocol. They are easy to confuse, hence one named function each.
#pragma once

#include <cstdint>
#include <span>

namespace mtkfs::da {

// SEND_DA (docs/protocol/preloader.md §5.7): XOR of the data read as little-endian 16-bit words; an
// odd trailing byte counts as a word with high byte 0. The device sends the result big-endian.
std::uint16_t send_da_checksum(std::span<const std::uint8_t> data);

// Streaming form of send_da_checksum, for data that is sent in pieces of any length.
class SendDaChecksum {
 public:
  void update(std::span<const std::uint8_t> data);
  std::uint16_t value() const { return value_; }

 private:
  std::uint16_t value_ = 0;
  bool odd_ = false;  // the previous piece ended in the middle of a word
};

// D6 READ / 62 WRITE chunks (docs/protocol/legacy-da.md §9-§10): sum of the bytes modulo 0x10000.
std::uint16_t chunk_checksum(std::span<const std::uint8_t> data);

}  // namespace mtkfs::da
