// The real programs: `mtkfs --trace` records a mount and a read of the first MiB of user_area.img;
// `mtkfs-sim --replay` of that trace serves a second mtkfs run doing the same (same bytes, replay
// passes); the trace with one host byte changed makes the replay fail and name that byte's offset.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "sim/replay/trace_file.h"
#include "tests/mount/file_tools.h"
#include "tests/support/program_paths.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

constexpr std::size_t kMiB = 1 << 20;

// dd, as a user would: the first MiB of the image through the mount.
std::vector<std::uint8_t> dd_first_mib(const SimMountRig& rig) {
  const std::string out = (rig.dir() / "first-mib.bin").string();
  const ProgramResult dd = run_program("/bin/dd", {"if=" + rig.mnt("user_area.img"), "of=" + out, "bs=1M", "count=1",
                                                   "status=none"}, kProgramTimeout);
  EXPECT_EQ(dd.exit_code, 0) << dd.err;
  return read_range(out, 0, kMiB);
}

// mtkfs-sim --replay TRACE on the rig's socket, running until the host has come and gone.
std::future<ProgramResult> start_replay(const SimMountRig& rig, const std::filesystem::path& trace) {
  return std::async(std::launch::async, [socket = rig.socket(), trace] {
    return run_program(mtkfs_sim_program(), {"--replay", trace.string(), "--socket", socket}, kProgramTimeout);
  });
}

struct ChangedByte {
  std::uint64_t host_offset = 0;
  std::size_t line = 0;
};

// Flips the last byte of the first host record of 4 bytes or more (a command's address, past the
// handshake) and says where that byte sits in the host stream.
ChangedByte change_one_host_byte(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::stringstream text;
  text << std::ifstream(from).rdbuf();
  const std::string original = text.str();
  ChangedByte changed;
  for (const auto& e : sim::replay::parse_trace(original).entries) {
    if (e.kind != sim::replay::TraceEntry::Kind::host_bytes) continue;
    if (e.bytes.size() < 4) {
      changed.host_offset += e.bytes.size();
      continue;
    }
    changed.host_offset += e.bytes.size() - 1;
    changed.line = e.line;
    break;
  }
  if (changed.line == 0) throw std::runtime_error("no host record of 4 bytes in the trace");
  std::istringstream lines(original);
  std::ofstream out(to);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    if (++number == changed.line) {
      char& digit = line[line.size() - 1];  // the low nibble of the record's last byte
      digit = digit == '0' ? '1' : '0';
    }
    out << line << '\n';
  }
  return changed;
}

TEST(TraceReplay, ARecordedMountReplaysAndOneChangedHostByteIsNamed) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "mbr"});
  const std::vector<std::uint8_t> image = read_range(rig.image("user.img"), 0, kMiB);
  const auto trace = rig.dir() / "a50.trace";

  rig.start_sim();
  const ProgramResult recorded = rig.mount({"--trace", trace.string()});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(dd_first_mib(rig), image);
  ASSERT_EQ(rig.unmount(), 0) << rig.log();
  rig.kill_sim();

  auto replay = start_replay(rig, trace);
  const ProgramResult second = rig.mount({});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(dd_first_mib(rig), image);
  ASSERT_EQ(rig.unmount(), 0) << rig.log();
  const ProgramResult passed = replay.get();
  EXPECT_EQ(passed.exit_code, 0) << passed.err;
  EXPECT_NE(passed.err.find("mtkfs-sim: replay passed"), std::string::npos) << passed.err;

  const ChangedByte changed = change_one_host_byte(trace, rig.dir() / "changed.trace");
  auto failing = start_replay(rig, rig.dir() / "changed.trace");
  const ProgramResult refused = rig.mount({});
  EXPECT_NE(refused.exit_code, 0) << "mounted although the device went mute";
  const ProgramResult failed = failing.get();
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  const std::string named = "replay failed: host byte at offset " + std::to_string(changed.host_offset) +
                            " differs from the trace (trace line " + std::to_string(changed.line) + ":";
  EXPECT_NE(failed.err.find(named), std::string::npos) << "expected '" << named << "' in:\n" << failed.err;
}

}  // namespace
}  // namespace mtkfs::testing
