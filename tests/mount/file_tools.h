// Byte-level checks for the end-to-end tests: ranges read with pread, compared chunk by chunk, and
// the simulator's pattern computed independently of any file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/image/image.h"
#include "sim/sim.h"

namespace mtkfs::testing {

// Exactly `length` bytes at `offset` (throws on an error or a short read, naming the file).
std::vector<std::uint8_t> read_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t length);
void write_range(const std::filesystem::path& file, std::uint64_t offset, const std::vector<std::uint8_t>& data);

// Compares `length` bytes of `a` at `a_offset` with `b` at `b_offset`, reading both sequentially
// (as cp does). Returns "" when equal, else where they first differ.
std::string compare_ranges(const std::filesystem::path& a, std::uint64_t a_offset, const std::filesystem::path& b,
                           std::uint64_t b_offset, std::uint64_t length);

// Whole `a` against `b` at `b_offset`; also checks that `a` has exactly `length` bytes.
std::string compare_file(const std::filesystem::path& a, const std::filesystem::path& b, std::uint64_t b_offset,
                         std::uint64_t length);

// The bytes of a pattern-filled region (mtkfs-sim init --pattern) at any offset and length.
std::vector<std::uint8_t> pattern_bytes(std::uint8_t region_id, std::uint64_t offset, std::size_t length);

// A partition as mtkfs-sim init writes it (sim/image's own list, not what mtkfs parsed).
sim::image::PartitionSpec sim_partition(const std::string& name, sim::image::Layout layout = sim::image::Layout::gpt,
                                        std::uint64_t user_size = sim::kDefaultUserSize);

// The value of the status.txt line "label: value" (values start in column 16), or "<no line LABEL>".
std::string status_value(const std::string& status_text, const std::string& label);

// Reproducible bytes that differ from every pattern and from zeros.
std::vector<std::uint8_t> random_bytes(std::uint64_t seed, std::size_t length);

}  // namespace mtkfs::testing
