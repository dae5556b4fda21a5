// status.txt's wording (fuse/status_text.h) for each state a user can meet, and the recent-speed meter
// behind its "now" figure (cache/throughput.h). Pure functions: no mount, no clock.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "cache/throughput.h"
#include "fuse/status_text.h"

namespace mtkfs::fusefs {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The value of the line "label: value".
std::string value(const std::string& text, const std::string& label) {
  for (const std::string& l : lines(text))
    if (l.rfind(label + ":", 0) == 0) return l.substr(15);
  return "<no line " + label + ">";
}

StatusFigures idle_read_only() {
  StatusFigures f;
  f.cache.device_reads = 3;
  f.cache.device_read_bytes = 3 * kMiB;
  f.cache.resident_bytes = 3 * kMiB;
  f.cache_capacity = 256 * kMiB;
  f.seconds_mounted = 125.4;
  return f;
}

TEST(StatusText, EveryLineIsALabelAndAValueInColumn16) {
  const std::string text = status_text(idle_read_only());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::vector<std::string> want{"link", "reconnects", "mounted", "read", "written", "speed", "cache", "failed writes",
                                      "unwritten"};
  const auto got = lines(text);
  ASSERT_EQ(got.size(), want.size()) << text;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].rfind(want[i] + ":", 0), 0u) << got[i];
    EXPECT_TRUE(std::regex_match(got[i], std::regex("[a-z ]+: +[^ ].*"))) << got[i];
    EXPECT_NE(got[i][15], ' ') << "value in column 16: " << got[i];
    EXPECT_EQ(got[i][14], ' ') << got[i];
  }
}

TEST(StatusText, AllWrittenIsOneEasyLine) {
  const std::string text = status_text(idle_read_only());
  EXPECT_EQ(value(text, "link"), "connected");
  EXPECT_EQ(value(text, "mounted"), "read-only, 2 min 5 s ago");
  EXPECT_EQ(value(text, "read"), "3145728 bytes (3.0 MiB) from the device in 3 DA read commands");
  EXPECT_EQ(value(text, "written"), "0 bytes to the device in 0 DA write commands");
  EXPECT_EQ(value(text, "cache"), "3.0 MiB of 256.0 MiB in use, 0 bytes dirty (not yet on the device)");
  EXPECT_EQ(value(text, "failed writes"), "0 (0 bytes)");
  EXPECT_EQ(value(text, "unwritten"), "0 bytes (all data is on the device)");
}

TEST(StatusText, SpeedNowAndAverageInMegabytesPerSecond) {
  StatusFigures f = idle_read_only();
  f.cache.recent_bytes_per_second = 38.24e6;
  f.seconds_mounted = 10;
  f.bytes_since_mount = 310'000'000;
  f.writable = true;
  const std::string text = status_text(f);
  EXPECT_EQ(value(text, "speed"), "38.2 MB/s now (last 5 s), 31.0 MB/s on average since the mount");
  EXPECT_EQ(value(text, "mounted"), "read-write, 10 s ago");
  f.seconds_mounted = 0;  // just mounted: no division by zero
  EXPECT_EQ(value(status_text(f), "speed"), "38.2 MB/s now (last 5 s), 0.0 MB/s on average since the mount");
  f.seconds_mounted = 2 * 3600 + 61;
  EXPECT_EQ(value(status_text(f), "mounted"), "read-write, 2 h 1 min ago");
}

TEST(StatusText, OneCommandIsSingular) {
  StatusFigures f = idle_read_only();
  f.cache.device_reads = 1;
  f.cache.device_read_bytes = 512;
  f.cache.device_writes = 1;
  f.cache.device_write_bytes = 1;
  f.cache.dirty_bytes = 1;
  const std::string text = status_text(f);
  EXPECT_EQ(value(text, "read"), "512 bytes from the device in 1 DA read command");
  EXPECT_EQ(value(text, "written"), "1 byte to the device in 1 DA write command");
}

TEST(StatusText, DirtyDataIsNotOnTheDeviceYet) {
  StatusFigures f = idle_read_only();
  f.writable = true;
  f.cache.dirty_bytes = 4 * kMiB;
  const std::string text = status_text(f);
  EXPECT_EQ(value(text, "cache"), "3.0 MiB of 256.0 MiB in use, 4194304 bytes dirty (not yet on the device)");
  EXPECT_EQ(value(text, "unwritten"),
            "4194304 bytes (4.0 MiB) not on the device yet: in the cache; fsync, close or the unmount writes them");
  EXPECT_EQ(value(text, "failed writes"), "0 (0 bytes)");
}

TEST(StatusText, BytesBeingWrittenAreNotOnTheDeviceYet) {
  StatusFigures f = idle_read_only();
  f.writable = true;
  f.cache.writing_bytes = 2 * kMiB;
  f.cache.dirty_bytes = kMiB;
  const std::string text = status_text(f);
  EXPECT_EQ(value(text, "cache"),
            "3.0 MiB of 256.0 MiB in use, 3145728 bytes dirty (not yet on the device, 2097152 bytes being written)");
  EXPECT_EQ(value(text, "unwritten").rfind("3145728 bytes (3.0 MiB) not on the device yet", 0), 0u) << text;
  f.cache.dirty_bytes = 0;  // the last piece on its way: still not "all data is on the device"
  EXPECT_EQ(value(status_text(f), "unwritten").rfind("2097152 bytes (2.0 MiB) not on the device yet", 0), 0u);
}

TEST(StatusText, FailedWritesAreCountedAndTheUnwrittenLineWarns) {
  StatusFigures f = idle_read_only();
  f.writable = true;
  f.cache.write_failures = 2;
  f.cache.write_failure_bytes = 2 * 65536;
  f.cache.dirty_bytes = 65536;
  const std::string text = status_text(f);
  EXPECT_EQ(value(text, "failed writes"), "2 (131072 bytes not written; see the log)");
  EXPECT_EQ(value(text, "unwritten"),
            "65536 bytes (64.0 KiB) NOT on the device: still in the cache, and 2 device writes have failed (see "
            "the log); fsync, close or the unmount tries again. Do not unplug");
  // A later write-back that succeeded: the count stays, the data is on the device.
  f.cache.dirty_bytes = 0;
  const std::string later = status_text(f);
  EXPECT_EQ(value(later, "failed writes"), "2 (131072 bytes not written; see the log)");
  EXPECT_EQ(value(later, "unwritten"), "0 bytes (all data is on the device)");
}

TEST(StatusText, LostLinkAndTheBytesItCost) {
  StatusFigures f = idle_read_only();
  f.writable = true;
  f.cache.link_lost = true;
  f.cache.link_lost_reason = "the device closed the connection\n(socket)";
  f.cache.lost_dirty_bytes = kMiB;
  const std::string text = status_text(f);
  EXPECT_EQ(lines(text).size(), 9u) << "a line break in the reason must not make a new line:\n" << text;
  EXPECT_EQ(value(text, "link"), "lost (the device closed the connection (socket)); unmount, then mount again");
  EXPECT_EQ(value(text, "unwritten"),
            "1048576 bytes (1.0 MiB) NEVER reached the device: the link was lost before they were written");
  f.cache.lost_dirty_bytes = 0;  // nothing was waiting for the device when it went
  EXPECT_EQ(value(status_text(f), "unwritten"), "0 bytes (all data is on the device)");
}

// While the device is away the I/O waits, and the one thing the user must do is on the link line.
TEST(StatusText, ReconnectingSaysWhatToDoAndHowLongIsLeft) {
  StatusFigures f = idle_read_only();
  f.cache.link.state = da::LinkStatus::State::reconnecting;
  f.cache.link.reason = "socket disconnected";
  f.cache.link.deadline = f.now + std::chrono::milliseconds(286'200);
  EXPECT_EQ(value(status_text(f), "link"),
            "reconnecting: the device was lost (socket disconnected); hold Volume Down + Play and plug it in again "
            "within 287 s to continue (I/O waits meanwhile)");
  f.cache.link.deadline = f.now - std::chrono::seconds(1);  // the last attempt is still running
  EXPECT_NE(value(status_text(f), "link").find("within 0 s"), std::string::npos);
}

TEST(StatusText, ReconnectsAreCountedWithTheLastOutage) {
  StatusFigures f = idle_read_only();
  EXPECT_EQ(value(status_text(f), "reconnects"), "0");
  f.cache.link.reconnects = 3;
  f.cache.link.last_outage_seconds = 2.46;
  f.cache.link.last_resume_seconds = 0.981;
  EXPECT_EQ(value(status_text(f), "reconnects"),
            "3 (the last: 2.5 s without the device; I/O flowed again 0.98 s after it answered)");
  EXPECT_EQ(value(status_text(f), "link"), "connected");
}

// The device gave up waiting (or a different device came back) before the cache noticed.
TEST(StatusText, ADeviceThatGaveUpIsLostEvenBeforeTheCacheKnows) {
  StatusFigures f = idle_read_only();
  f.cache.link.state = da::LinkStatus::State::lost;
  f.cache.link.reason = "another device came back";
  EXPECT_EQ(value(status_text(f), "link"), "lost (another device came back); unmount, then mount again");
}

TEST(StatusText, BinarySizes) {
  EXPECT_EQ(binary_size(0), "0 B");
  EXPECT_EQ(binary_size(1023), "1023 B");
  EXPECT_EQ(binary_size(1024), "1.0 KiB");
  EXPECT_EQ(binary_size(1536), "1.5 KiB");
  EXPECT_EQ(binary_size(kMiB - 1), "1.0 MiB") << "never 1024.0 KiB";
  EXPECT_EQ(binary_size(256 * kMiB), "256.0 MiB");
  EXPECT_EQ(binary_size(0x3AB400000), "14.7 GiB");  // the NW-A50's user area
  EXPECT_EQ(binary_size(3ull << 40), "3.0 TiB");
}

// --- the meter ---

using cache::ThroughputMeter;
using Clock = ThroughputMeter::Clock;
using std::chrono::milliseconds;

struct MeterAt {
  Clock::time_point origin = Clock::now();
  ThroughputMeter meter{origin};
  Clock::time_point at(double seconds) const {
    return origin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }
};

TEST(ThroughputMeter, SteadyTransfersGiveTheirRate) {
  MeterAt m;
  for (int i = 0; i < 10; ++i) m.meter.finish(10'000'000, m.at(i), m.at(i + 1));  // 10 MB per second
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(10)), 10e6, 1e3);
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(10.3)), 10e6 * 4.7 / 5, 1e3) << "0.3 s idle at the end";
}

TEST(ThroughputMeter, ATransferInFlightEndsTheWindowWhereItBegan) {
  MeterAt m;
  for (int i = 0; i < 10; ++i) m.meter.finish(32'000'000, m.at(2 * i), m.at(2 * i + 2));  // 16 MB/s, 2 s each
  m.meter.start(m.at(20));
  // 1.9 s into the next 2 s transfer: nothing of it is known yet, but the rate is not shown as falling.
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(21.9)), 16e6, 1e3);
  m.meter.finish(32'000'000, m.at(20), m.at(22));
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(22)), 16e6, 1e3);
}

TEST(ThroughputMeter, FallsToZeroWhenIdleAndIgnoresFailures) {
  MeterAt m;
  m.meter.finish(5'000'000, m.at(1), m.at(2));
  EXPECT_GT(m.meter.bytes_per_second(m.at(3)), 0);
  EXPECT_EQ(m.meter.bytes_per_second(m.at(7.5)), 0) << "more than 5 s after the last transfer";
  m.meter.start(m.at(8));
  m.meter.finish(0, m.at(8), m.at(9));  // a failed call moved nothing
  EXPECT_EQ(m.meter.bytes_per_second(m.at(9)), 0);
}

TEST(ThroughputMeter, ALongTransferIsSpreadOverItsDuration) {
  MeterAt m;
  m.meter.finish(50'000'000, m.at(0), m.at(10));  // 5 MB/s for 10 s, counted when it ended
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(10)), 5e6, 1e3);
  // Longer than the meter's memory: the part that matters is still right.
  MeterAt n;
  n.meter.finish(600'000'000, n.at(0), n.at(60));
  EXPECT_NEAR(n.meter.bytes_per_second(n.at(60)), 10e6, 1e3);
}

TEST(ThroughputMeter, TheFirstSecondShowsNoSpikeAndShortCallsCount) {
  MeterAt m;
  m.meter.finish(1'000'000, m.at(0.05), m.at(0.1));
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(0.1)), 1e6, 1e3) << "a window under 1 s counts as 1 s";
  m.meter.add(512, m.at(0.2));
  EXPECT_NEAR(m.meter.bytes_per_second(m.at(0.2)), 1e6 + 512, 1e3);
}

}  // namespace
}  // namespace mtkfs::fusefs
