// --stats-file: after the unmount, mtkfs writes the session's figures as one JSON object (app/stats_file.h),
// the machine-readable form the benchmark driver (bench/driver.cpp) reads instead of the log.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "sim/image/image.h"
#include "tests/mount/file_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

// "key": value pairs of a flat JSON object (numbers, true/false), by key.
std::map<std::string, std::string> json_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  const std::regex field(R"re("([a-z_]+)": (-?[0-9.]+|true|false))re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), field); it != std::sregex_iterator(); ++it)
    out[(*it)[1]] = (*it)[2];
  return out;
}

TEST(MountStatsFile, WrittenAtUnmountWithTheSessionFigures) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim();
  const std::filesystem::path stats = rig.dir() / "stats.json";
  const ProgramResult start = rig.mount({"--stats-file", stats.string(), "--cache-size", "64M"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_FALSE(std::filesystem::exists(stats)) << "written at the end of the session, not before";
  constexpr std::uint64_t kOffset = 3 << 20;
  constexpr std::size_t kLength = 4 << 20;
  EXPECT_EQ(read_range(rig.mnt("user_area.img"), kOffset, kLength),
            pattern_bytes(sim::image::kRegionUser, kOffset, kLength));
  ASSERT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();

  std::ifstream in(stats);
  ASSERT_TRUE(in) << "no " << stats;
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
  EXPECT_FALSE(std::filesystem::exists(stats.string() + ".tmp"));

  const auto f = json_fields(json);
  for (const char* key :
       {"format", "exit_status", "connect_seconds", "mount_seconds", "session_seconds", "cpu_user_seconds",
        "cpu_system_seconds", "max_rss_kib", "cache_size", "device_reads", "device_read_bytes", "device_writes",
        "device_write_bytes", "hits", "misses", "prefetched_blocks", "rmw_reads", "evictions", "write_failures",
        "peak_resident_bytes", "dirty_bytes", "lost_dirty_bytes", "link_lost"}) {
    EXPECT_EQ(f.count(key), 1u) << key << " is missing in " << json;
  }
  if (::testing::Test::HasFailure()) return;
  EXPECT_EQ(f.at("format"), "1");
  EXPECT_EQ(f.at("exit_status"), "0");
  EXPECT_EQ(f.at("link_lost"), "false");
  EXPECT_EQ(std::stoull(f.at("cache_size")), 64ull << 20);
  // Read-only: at least the partition table and the 4 MiB the test read, nothing written.
  EXPECT_GE(std::stoull(f.at("device_read_bytes")), kLength);
  EXPECT_GE(std::stoull(f.at("device_reads")), 1u);
  EXPECT_EQ(f.at("device_writes"), "0");
  EXPECT_EQ(f.at("device_write_bytes"), "0");
  EXPECT_EQ(f.at("dirty_bytes"), "0");
  EXPECT_EQ(f.at("lost_dirty_bytes"), "0");
  EXPECT_LE(std::stoull(f.at("peak_resident_bytes")), 64ull << 20);
  const double connect = std::stod(f.at("connect_seconds")), mounted = std::stod(f.at("mount_seconds")),
               session = std::stod(f.at("session_seconds"));
  EXPECT_GT(connect, 0.0);
  EXPECT_GE(mounted, connect);
  EXPECT_GE(session, mounted);
  EXPECT_LT(session, 600.0);
  EXPECT_GT(std::stod(f.at("cpu_user_seconds")) + std::stod(f.at("cpu_system_seconds")), 0.0);
  EXPECT_GT(std::stoull(f.at("max_rss_kib")), 1000u);  // a process with a cache: more than 1 MiB resident
}

}  // namespace
}  // namespace mtkfs::testing
