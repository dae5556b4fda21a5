// The two checksums of the protocol, in the shape the device needs them: incremental, tight loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mtkfs::sim {

// SEND_DA checksum (preloader.md §5.7): XOR of the data as little-endian 16-bit words; an odd last byte
// counts as a word with high byte 0. Incremental because the data arrives in arbitrary pieces.
class Xor16 {
 public:
  void update(std::span<const std::uint8_t> data) {
    for (std::uint8_t byte : data) {
      value_ ^= odd_ ? static_cast<std::uint16_t>(byte << 8) : byte;
      odd_ = !odd_;
    }
  }
  std::uint16_t value() const { return value_; }

 private:
  std::uint16_t value_ = 0;
  bool odd_ = false;
};

// D6/62 chunk checksum (legacy-da.md §9): sum of the bytes modulo 0x10000. Every read chunk goes through
// here, so it uses psadbw (16 bytes per instruction) where available: the plain loop only vectorises at -O3.
inline std::uint16_t byte_sum16(std::span<const std::uint8_t> data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t sum = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  __m128i a0 = zero;
  __m128i a1 = zero;
  for (; n >= 32; p += 32, n -= 32) {
    a0 = _mm_add_epi64(a0, _mm_sad_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), zero));
    a1 = _mm_add_epi64(a1, _mm_sad_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), zero));
  }
  const __m128i a = _mm_add_epi64(a0, a1);
  sum = static_cast<std::uint64_t>(_mm_cvtsi128_si64(a)) +
        static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(a, a)));
#endif
  for (; n > 0; --n) sum += *p++;
  return static_cast<std::uint16_t>(sum & 0xFFFF);
}

}  // namespace mtkfs::sim
