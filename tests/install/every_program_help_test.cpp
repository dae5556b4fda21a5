// Every program a person runs answers --help with a usage text and exit status 0, and refuses an
// unknown option with a message and a non-zero status, never with an uncaught exception (issue 13).
// The programs: mtkfs, mtkfs-sim and its subcommands, the benchmark programs, the scripts.
// Not here: the GoogleTest suites and tests/usb's mtkfs_overflow_client (only tests run them); the
// libFuzzer targets and mtkfs_fuzz_make_seeds, which only a scripts/fuzz.sh build makes (their --help:
// tests/fuzz/fuzz_help.cpp and CLI11).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/install/programs.h"
#include "tests/support/run_program.h"

namespace mtkfs::testing {
namespace {

struct Command {
  std::string label;
  std::string path;
  std::vector<std::string> args;      // before the option under test
  std::vector<std::string> required;  // after it, when refusing it: else "X is required" comes first
};

// Where nothing can be made, should a program take the unknown option for a good one.
const std::string kNowhere = "/nonexistent/mtkfs-help-test";

std::vector<Command> programs() {
  return {
      {"mtkfs", mtkfs_program(), {}, {}},
      {"mtkfs-sim", mtkfs_sim_program(), {}, {}},
      {"mtkfs-sim init", mtkfs_sim_program(), {"init"}, {kNowhere}},
      {"mtkfs-sim make-da", mtkfs_sim_program(), {"make-da"}, {kNowhere + "/da.bin"}},
      {"mtkfs-sim usb", mtkfs_sim_program(), {"usb"}, {"--", kNowhere}},
      {"mtkfs-bench", MTKFS_BENCH_BIN, {}, {}},
      {"mtkfs-bench-raw", MTKFS_BENCH_RAW_BIN, {}, {}},
      {"mtkfs-bench-pty-baseline", MTKFS_BENCH_PTY_BASELINE_BIN, {}, {}},
      {"mtkfs-bench-random", MTKFS_BENCH_RANDOM_BIN, {}, {kNowhere + "/user_area.img"}},
  };
}

// Run with no PATH at all: a script must answer before it runs anything, with bash builtins only, so
// one that does not fails here instead of installing packages or starting a build.
std::vector<Command> scripts() {
  std::vector<Command> out;
  for (const char* name : {"bench.sh", "check-doc-refs.sh", "demo.sh", "fuzz.sh", "install-deps.sh", "test.sh"}) {
    out.push_back({std::string("scripts/") + name,
                   "/usr/bin/env",
                   {"-i", "PATH=/nonexistent", "/bin/bash", std::string(MTKFS_SCRIPTS_DIR) + "/" + name},
                   {}});
  }
  return out;
}

ProgramResult run(const Command& command, const std::string& option, bool with_required) {
  std::vector<std::string> args = command.args;
  args.push_back(option);
  if (with_required) args.insert(args.end(), command.required.begin(), command.required.end());
  return run_program(command.path, args, std::chrono::seconds(30));
}

bool has_usage_line(const std::string& text) {
  return text.starts_with("Usage") || text.find("\nUsage") != std::string::npos;
}

// What an uncaught exception or a crash leaves behind.
bool looks_like_a_crash(const ProgramResult& r) {
  return r.exit_code < 0 || r.err.find("terminate called") != std::string::npos ||
         r.err.find("uncaught") != std::string::npos;
}

void expect_help(const Command& command) {
  SCOPED_TRACE(command.label);
  const ProgramResult r = run(command, "--help", false);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has_usage_line(r.out)) << "no Usage line on stdout:\n" << r.out;
  EXPECT_FALSE(looks_like_a_crash(r)) << r.err;
}

void expect_refusal(const Command& command) {
  SCOPED_TRACE(command.label);
  const ProgramResult r = run(command, "--no-such-option", true);
  EXPECT_GT(r.exit_code, 0) << "exit " << r.exit_code << "; stderr: " << r.err;
  EXPECT_FALSE(looks_like_a_crash(r)) << r.err;
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << "the message names the option:\n" << r.err;
}

TEST(EveryProgram, AnswersHelpWithAUsageTextAndStatusZero) {
  for (const Command& command : programs()) expect_help(command);
}

TEST(EveryProgram, RefusesAnUnknownOptionWithAMessage) {
  for (const Command& command : programs()) expect_refusal(command);
}

TEST(EveryScript, AnswersHelpWithAUsageTextBeforeRunningAnything) {
  for (const Command& command : scripts()) expect_help(command);
}

TEST(EveryScript, RefusesAnUnknownOptionBeforeRunningAnything) {
  for (const Command& command : scripts()) expect_refusal(command);
}

}  // namespace
}  // namespace mtkfs::testing
