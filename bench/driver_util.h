// Small pieces of the benchmark driver (bench/driver*.cpp): number formatting, the programs' key=value
// and --stats-file outputs, running a program, comparing bytes, the machine's load, medians of runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtkfs::bench::driver {

namespace fs = std::filesystem;

inline constexpr std::uint64_t MiB = 1ull << 20;
inline constexpr std::uint64_t GiB = 1ull << 30;
inline constexpr auto kStepTimeout = std::chrono::minutes(30);

// Anything that makes a figure impossible: the run stops, exit status 1 (never a timing).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string format(const char* fmt, double value);
double number(const std::string& text);
std::string human(std::uint64_t bytes);
std::string per_gib(double cpu_seconds, std::uint64_t bytes);
std::string mbps(std::uint64_t bytes, double seconds);

// "key=value key=value" (the mtkfs-bench-* programs' output line).
std::map<std::string, std::string> key_values(const std::string& line);
std::string need(const std::map<std::string, std::string>& kv, const std::string& key);
// The flat JSON object of mtkfs --stats-file: numbers and true/false, by key.
std::map<std::string, std::string> read_stats(const fs::path& file);

std::string find_program(const std::string& name);
std::string tail(const std::string& text, std::size_t lines = 5);
// Runs a program to its end; throws unless it exits 0. Returns its stdout.
std::string run(const std::string& program, const std::vector<std::string>& args);

// Bytes [a_offset, +size) of a and [b_offset, +size) of b are equal.
void compare_files(const fs::path& a, std::uint64_t a_offset, const fs::path& b, std::uint64_t b_offset,
                   std::uint64_t size, const std::string& what);
void write_file(const fs::path& path, std::uint64_t size, bool random);
std::string read_text(const fs::path& path);
double load1();
std::string load3();

// Runs of one measurement: each a list of figures as printed (strings keep the programs' own precision).
using Run = std::vector<std::string>;
Run median_of(const std::vector<Run>& runs);  // the median of each column on its own
Run best_of(const std::vector<Run>& runs);    // the run with the highest first figure
std::string spread_of(const std::vector<Run>& runs);  // "min-max" of the first figure, "" for one run

}  // namespace mtkfs::bench::driver
