// The one grammar for sizes on every command line of the project (mtkfs, mtkfs-sim, benchmarks):
// "4096", "0x3AB400000", or a decimal number with a binary suffix K, M, G or T, optionally followed
// by "iB" or "B" and in either case: "256M", "256MiB", "256MB", "16m", "4k". Suffixes are binary
// because eMMC regions and caches are powers of two and "256M" meaning 256 MiB is what users mean.
#pragma once

#include <cstdint>
#include <string_view>

namespace mtkfs {

// Throws std::invalid_argument naming `what` (e.g. "cache size") and showing the grammar.
std::uint64_t parse_size(std::string_view text, std::string_view what = "size");

}  // namespace mtkfs
