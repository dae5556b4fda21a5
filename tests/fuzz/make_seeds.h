// Parts of the seed generator (make_seeds.cpp, seeds_protocol.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mtkfs::fuzz::seeds {

void write_seed(const std::filesystem::path& dir, const std::string& name, const std::vector<std::uint8_t>& bytes);

// fuzz_da_replies: hand-built replies per mode, and a full connect recorded from the simulator.
void replies_seeds(const std::filesystem::path& corpus);

// fuzz_sim: host conversations recorded from mtkfs's Device, plus hand-built command sequences.
void sim_seeds(const std::filesystem::path& corpus);

// fuzz_trace_file: a session traced by mtkfs --trace's writer, plus hand-written traces.
void trace_seeds(const std::filesystem::path& corpus);

}  // namespace mtkfs::fuzz::seeds
