// Runs an external tool (mke2fs) with a bounded wait and its output captured for error messages.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace mtkfs::sim::image::detail {

// Finds `program` in $PATH, then in /usr/sbin and /sbin (root tools are often not in a test
// runner's PATH). Throws std::runtime_error naming `package` when it is not installed.
std::filesystem::path find_program(const std::string& program, const std::string& package);

// Runs `program` with `args`, waiting at most `timeout`; throws std::runtime_error with the
// command line, the exit status and the tool's output (stdout+stderr) unless it exits with 0.
void run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                 std::chrono::seconds timeout);

}  // namespace mtkfs::sim::image::detail
