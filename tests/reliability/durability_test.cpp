// Durability across crashes: 50 rounds of random writes + fsync through a writable mount, with mtkfs
// SIGKILLed at a random (seeded) moment in each round while the simulator keeps running. After each kill
// (and the lazy unmount a dead FUSE server needs) the simulator's image must hold every write whose fsync
// returned; bytes touched only by unsynced writes hold either the synced value or one of those writes'
// values; nothing else changed. A shadow model of the region tracks what is durable. The next round
// remounts on the same simulator, whose DA session was cut mid-command.
//
// Every other round the link also drops while the writer is busy (in the middle of a write chunk, device
// back after 200 ms) and mtkfs reconnects: an fsync that spans a reconnect returns only once the data is
// on the device again, so the model's checks stay the same. The simulator's drop points count host bytes
// over its whole life, and a drop while mtkfs connects fails the mount; so these rounds get a simulator
// of their own, started fresh on the same images, with the points a few MiB into the writer's data. In
// half of them the kill timer starts only once mtkfs has resumed, so the writer also syncs on the new
// session; in the others the kill may come before the drop or while mtkfs waits for the device.
//
// $MTKFS_DURABILITY_SEED overrides the seed, $MTKFS_DURABILITY_ROUNDS the round count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

#include "tests/reliability/reliability_io.h"
#include "tests/support/requirements.h"

namespace mtkfs::reliability {
namespace {

constexpr std::uint64_t kRegion = 160 * kMiB;  // pattern bytes, away from the partition tables and ext4
constexpr std::uint64_t kRegionSize = 8 * kMiB;
constexpr std::uint64_t kMargin = kMiB;  // checked around the region: never written
constexpr milliseconds kBound{30000};
const std::vector<std::string> kMountOptions{"--rw", "--reconnect", "20"};
constexpr milliseconds kReconnectBound{15000};  // drop, 200 ms away, a new session: about 2 s

unsigned env_number(const char* name, unsigned fallback) {
  const char* text = std::getenv(name);
  return text && *text ? static_cast<unsigned>(std::strtoul(text, nullptr, 0)) : fallback;
}

struct Op {
  std::uint64_t offset;  // in the region
  Bytes data;
};

// What the writer did before it was cut off.
struct Session {
  std::vector<Op> ops;      // every pwrite issued, in order (a failed one may still have reached the cache)
  std::size_t synced = 0;   // ops[0, synced) were covered by an fsync that returned 0
  int fsyncs_ok = 0;
  int stop_errno = 0;     // why the writer stopped: errno, -1 for a short write, 0 if it never did
};

// Writes and syncs until a call fails (mtkfs was killed).
Session write_until_killed(const std::string& file, std::uint32_t seed) {
  FuseFilesScope files;
  Session s;
  std::mt19937_64 rng(seed);
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    s.stop_errno = errno;
    return s;
  }
  const auto deadline = Clock::now() + kBound;
  while (Clock::now() < deadline) {
    if (rng() % 4 == 0) {
      if (::fsync(fd) != 0) {
        s.stop_errno = errno;
        break;
      }
      s.synced = s.ops.size();
      ++s.fsyncs_ok;
      continue;
    }
    // Mostly small and unaligned (read-modify-write), sometimes large and sector aligned.
    const bool large = rng() % 5 == 0;
    const std::size_t length = large ? 512 * (1 + rng() % 512) : 1 + rng() % 20000;
    std::uint64_t offset = rng() % (kRegionSize - length);
    if (large) offset -= offset % 512;
    s.ops.push_back(Op{offset, random_bytes(rng, length)});
    const Op& op = s.ops.back();
    const ssize_t n = ::pwrite(fd, op.data.data(), length, static_cast<off_t>(kRegion + offset));
    if (n != static_cast<ssize_t>(length)) {
      s.stop_errno = n < 0 ? errno : -1;  // -1: cut short (the connection went in the middle of the write)
      break;
    }
  }
  ::close(fd);
  return s;
}

// Host-byte totals for --fault-drop-after-received: the mount sends about 13 KiB, the writer megabytes a
// second, so both points fall into the writer's write-back.
std::string drop_points(std::mt19937& rng) {
  const std::uint64_t first = kMiB + rng() % (8 * kMiB);
  const std::uint64_t second = first + 16 * kMiB + rng() % (16 * kMiB);
  return std::to_string(first) + "," + std::to_string(second);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

constexpr const char* kResumed = "device back on";  // mtkfs' log line when the same eMMC is back

bool wait_resumed(const MountProcess& mount) {
  const auto deadline = Clock::now() + kReconnectBound;
  while (occurrences(mount.log(), kResumed) == 0) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// Checks the image against the model and moves the model to what the image now durably holds.
// Returns the first violation.
std::optional<std::string> check_and_advance(const PatternDisk& disk, Bytes& durable, const Session& s) {
  // Apply the synced ops: those bytes must now be on the device.
  for (std::size_t i = 0; i < s.synced; ++i) {
    const Op& op = s.ops[i];
    std::copy(op.data.begin(), op.data.end(), durable.begin() + static_cast<std::ptrdiff_t>(op.offset));
  }
  const Bytes image = disk.read_user(kRegion, kRegionSize);
  for (std::uint64_t at = 0; at < kRegionSize; ++at) {
    const std::uint8_t got = image[at];
    if (got == durable[at]) continue;
    // Otherwise an unsynced write must have put this value here.
    bool touched = false, allowed = false;
    for (std::size_t i = s.synced; i < s.ops.size() && !allowed; ++i) {
      const Op& op = s.ops[i];
      if (at < op.offset || at >= op.offset + op.data.size()) continue;
      touched = true;
      allowed = op.data[at - op.offset] == got;
    }
    if (allowed) {
      durable[at] = got;  // that write did reach the device: the new durable value
      continue;
    }
    char text[160];
    std::snprintf(text, sizeof text, "region byte 0x%llx is 0x%02x, expected 0x%02x%s",
                  static_cast<unsigned long long>(at), got, durable[at],
                  touched ? " or a value of an unsynced write" : " (no unsynced write touched it)");
    return std::string(text);
  }
  for (const std::uint64_t begin : {kRegion - kMargin, kRegion + kRegionSize})
    if (auto bad = pattern_mismatch(kUser, begin, disk.read_user(begin, kMargin)))
      return "a byte next to the region changed at user offset " + std::to_string(begin + *bad);
  return std::nullopt;
}

// The checker itself must be able to fail: a lost synced write, a stray byte, a value nobody wrote.
TEST(DurabilityModel, CatchesLostSyncedWritesAndStrayBytes) {
  PatternDisk disk;
  Bytes durable = pattern_bytes(kUser, kRegion, kRegionSize);
  Session s;
  s.ops = {Op{100, Bytes{1, 2, 3}}, Op{5000, Bytes{7, 7}}};
  s.synced = 1;
  EXPECT_TRUE(check_and_advance(disk, durable, s)) << "the synced write is not on the image";
  durable = pattern_bytes(kUser, kRegion, kRegionSize);
  disk.write_user(kRegion + 100, Bytes{1, 2, 3});
  EXPECT_FALSE(check_and_advance(disk, durable, s)) << "synced write present, unsynced one absent: fine";
  disk.write_user(kRegion + 5001, Bytes{7});
  EXPECT_FALSE(check_and_advance(disk, durable, s)) << "half of an unsynced write arrived: fine";
  EXPECT_EQ(durable[5001], 7) << "and it is the new durable value";
  disk.write_user(kRegion + 5000, Bytes{9});
  EXPECT_TRUE(check_and_advance(disk, durable, s)) << "a value no write put there";
  disk.write_user(kRegion + 5000, Bytes{7});
  disk.write_user(kRegion + 4 * kMiB, Bytes{0x42});
  EXPECT_TRUE(check_and_advance(disk, durable, s)) << "a byte no write touched";
  disk.write_user(kRegion + 4 * kMiB, pattern_bytes(kUser, kRegion + 4 * kMiB, 1));
  disk.write_user(kRegion + kRegionSize + 10, Bytes{0x42});
  EXPECT_TRUE(check_and_advance(disk, durable, s)) << "a byte next to the region";
}

TEST(Durability, EverySyncedWriteSurvivesAKilledMtkfs) {
  if (!mtkfs::testing::require_fuse()) return;
  const unsigned seed = env_number("MTKFS_DURABILITY_SEED", 20261128);
  const unsigned rounds = env_number("MTKFS_DURABILITY_ROUNDS", 50);
  std::printf("durability: seed %u, %u rounds (MTKFS_DURABILITY_SEED / MTKFS_DURABILITY_ROUNDS)\n", seed, rounds);
  PatternDisk disk;
  const Bytes tables_before = disk.read_user(0, 64 * 1024);
  SimMountRig rig(disk.dir(), disk.da());  // the simulator; each round mounts on its own (MountProcess)
  rig.start_sim();
  SimMountRig dropper(disk.dir(), disk.da());  // the rounds with drops: a fresh simulator each
  Bytes durable = pattern_bytes(kUser, kRegion, kRegionSize);
  std::mt19937 rng(seed);
  std::size_t synced_ops = 0, unsynced_ops = 0, lost_rounds = 0, losses = 0, reconnects = 0;
  unsigned rounds_on_after_reconnect = 0;  // the writer went on after a reconnect until the kill

  for (unsigned round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " of seed " + std::to_string(seed));
    const bool drops = round % 2 == 1, kill_after_resume = round % 4 == 3;
    if (drops) dropper.start_sim({"--fault-drop-after-received", drop_points(rng), "--fault-return-after", "200"});
    const fs::path log = rig.dir() / ("mtkfs-" + std::to_string(round) + ".log");
    MountProcess mount(mount_args(disk, (drops ? dropper : rig).socket(), kMountOptions), rig.mnt(), log);
    ASSERT_TRUE(mount.mounted_at_start()) << "remount after a kill failed:\n" << mount.log();
    const std::string image = mount.path("user_area.img");

    // What the new mount reads is what the model says is durable.
    const auto before = run_bounded<Bytes>(
        [&] {
          FuseFilesScope files;
          Bytes out(kRegionSize);
          const int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
          const ssize_t n = fd < 0 ? -1 : ::pread(fd, out.data(), out.size(), static_cast<off_t>(kRegion));
          if (fd >= 0) ::close(fd);
          if (n != static_cast<ssize_t>(out.size())) out.clear();
          return out;
        },
        kBound, [&] { mount.kill_hard(); });
    ASSERT_TRUE(before.has_value() && !before->empty()) << "reading the region through the mount failed";
    ASSERT_TRUE(*before == durable) << "the mount shows other bytes than the device durably holds";

    const auto kill_after = milliseconds(rng() % 1500);
    const std::uint32_t writer_seed = rng();
    std::optional<Session> session;
    std::thread writer([&] { session = write_until_killed(image, writer_seed); });
    const bool resumed = kill_after_resume && wait_resumed(mount);
    std::this_thread::sleep_for(kill_after);
    mount.kill_hard();  // SIGKILL, lazy unmount, reap: blocked calls of the writer return
    writer.join();
    const std::string mount_log = mount.log();
    ASSERT_TRUE(session.has_value());
    ASSERT_NE(session->stop_errno, 0) << "the writer never noticed the kill";
    // A held call ends with the kill (the connection aborts), never with an I/O error of mtkfs's own: every
    // error mtkfs answers a call with is logged first. (The errno alone cannot tell: a call the kill cuts
    // can also end in EIO from the kernel.)
    ASSERT_EQ(mount_log.find("mtkfs: error:"), std::string::npos)
        << "a call failed instead of waiting for the device (the writer stopped with errno " << session->stop_errno
        << "):\n" << mount_log;
    ASSERT_EQ(sanitizer_report(mount_log), "");
    ASSERT_TRUE(resumed || !kill_after_resume) << "no reconnect after the drop:\n" << mount_log;
    losses += occurrences(mount_log, "device lost (");
    reconnects += occurrences(mount_log, kResumed);
    rounds_on_after_reconnect += resumed;

    const auto violation = check_and_advance(disk, durable, *session);
    ASSERT_FALSE(violation) << *violation << " (" << session->ops.size() << " writes, " << session->synced
                            << " synced, killed after " << kill_after.count() << " ms)";
    synced_ops += session->synced;
    unsynced_ops += session->ops.size() - session->synced;
    if (session->ops.size() > session->synced) ++lost_rounds;
  }
  EXPECT_EQ(disk.read_user(0, 64 * 1024), tables_before) << "the partition table changed";
  std::printf("durability: %zu synced writes checked, %zu unsynced writes at kill time in %zu rounds\n", synced_ops,
              unsynced_ops, lost_rounds);
  std::printf("durability: %zu link drops seen by mtkfs, %zu reconnects, %u rounds killed only after a reconnect\n",
              losses, reconnects, rounds_on_after_reconnect);
  // The test only means something if both kinds occurred, and the drops really happened.
  EXPECT_GT(synced_ops, 0u);
  EXPECT_GT(lost_rounds, 0u);
  EXPECT_GE(reconnects, std::max(1u, (rounds + 1) / 4)) << "too few reconnects: the drops missed the writer";
}

}  // namespace
}  // namespace mtkfs::reliability
