// `mtkfs-sim --replay`: the trace reader, the script it becomes, and the replaying device against a
// scripted host (a DeviceLink that hands out prepared host chunks and keeps what the device sent).
#include <gtest/gtest.h>

#include <deque>
#include <optional>

#include "sim/replay/replay.h"
#include "sim/replay/script.h"
#include "sim/replay/trace_file.h"

namespace mtkfs::sim::replay {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Kind = TraceEntry::Kind;

const std::string kHeader = "# mtkfs wire trace 1\n";

// The same conversation every replay test uses: the sim swallows the first A0, answers the second.
const std::string kHandshake = kHeader +
                               "# a comment\n"
                               "@ 0.000100 open socket /tmp/s\n"
                               "H>D 0.001 1 \"handshake byte A0\" a0\n"
                               "H>D 0.051 1 \"handshake byte A0\" A0\n"
                               "D>H 0.052 1 \"handshake byte A0\" 5f\n"
                               "H>D 0.053 1 \"handshake byte\" 0a\n"
                               "D>H 0.054 1 \"handshake byte\" f5\n"
                               "H>D 0.055 4 \"command\" 01020304\n"
                               "D>H 0.056 1024 \"data\" " + std::string(2048, '7') + "\n"
                               "D>H 0.057 0 \"data\" -\n"
                               "D>H 0.058 2 \"checksum\" abcd\n"
                               "@ 0.060000 close socket /tmp/s\n";

TEST(TraceFile, ReadsRecordsAndNotesInOrderAndSkipsComments) {
  const ParsedTrace t = parse_trace(kHandshake);
  ASSERT_EQ(t.entries.size(), 11u);
  EXPECT_EQ(t.entries[0].kind, Kind::note);
  EXPECT_EQ(t.entries[0].text, "open socket /tmp/s");
  EXPECT_EQ(t.entries[0].line, 3u);
  EXPECT_EQ(t.entries[1].kind, Kind::host_bytes);
  EXPECT_EQ(t.entries[1].micros, 1000u);
  EXPECT_EQ(t.entries[1].bytes, Bytes{0xA0});
  EXPECT_EQ(t.entries[2].bytes, Bytes{0xA0});  // upper-case hex too
  EXPECT_EQ(t.entries[7].bytes.size(), 1024u);
  EXPECT_EQ(t.entries[8].kind, Kind::device_bytes);
  EXPECT_TRUE(t.entries[8].bytes.empty());
  EXPECT_EQ(t.entries[9].text, "checksum");
  EXPECT_TRUE(t.warnings.empty());
}

TEST(TraceFile, ReadsEscapedSteps) {
  const ParsedTrace t = parse_trace(kHeader + "H>D 1.5 1 \"a \\\"b\\\" \\\\ \\x09\" ff\n");
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].text, "a \"b\" \\ \t");
  EXPECT_EQ(t.entries[0].micros, 1'500'000u);
}

// Every complaint names the line.
TEST(TraceFile, RejectsWhatIsNotTheFormatNamingTheLine) {
  const auto fails = [](const std::string& text, std::size_t line, const std::string& needle) {
    try {
      parse_trace(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const TraceFormatError& e) {
      EXPECT_EQ(e.line(), line) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fails("", 1, "empty");
  fails("H>D 0.1 1 \"x\" a0\n", 1, "not an mtkfs wire trace");
  fails("# mtkfs wire trace 2\n", 1, "version '2'");
  fails(kHeader + "\nX>Y 0.1 1 \"x\" a0\n", 3, "unknown line kind");
  fails(kHeader + "H>D soon 1 \"x\" a0\n", 2, "bad time");
  fails(kHeader + "H>D 0.1234567 1 \"x\" a0\n", 2, "bad time");
  fails(kHeader + "H>D 0.1 -1 \"x\" a0\n", 2, "bad length");
  fails(kHeader + "H>D 0.1 99999999999 \"x\" a0\n", 2, "bad length");
  fails(kHeader + "H>D 0.1 2 \"x\" a0\n", 2, "says 2 bytes but holds 2 hex digits");
  fails(kHeader + "H>D 0.1 1 \"x\" g0\n", 2, "not a hex digit");
  fails(kHeader + "H>D 0.1 0 \"x\" 00\n", 2, "'-'");
  fails(kHeader + "H>D 0.1 1 x a0\n", 2, "quoted step");
  fails(kHeader + "H>D 0.1 1 \"x a0\n", 2, "unterminated");
  fails(kHeader + "H>D 0.1 1 \"\\q\" a0\n", 2, "bad escape");
  fails(kHeader + "H>D 0.1 1 \"x\"a0\n", 2, "missing the bytes");
  fails(kHeader + "@ later open\n", 2, "bad time");
  fails(kHeader + "H>D 0.1 1 \"x\" a0 \n", 2, "hex digits");  // nothing may follow the bytes
}

TEST(TraceFile, DropsOnlyATornLastLine) {
  const ParsedTrace t = parse_trace(kHeader + "H>D 0.1 1 \"x\" a0\nD>H 0.2 4 \"y\" 0102");
  EXPECT_EQ(t.entries.size(), 1u);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("line 3"), std::string::npos) << t.warnings[0];
  // A complete last line without its newline is kept.
  EXPECT_EQ(parse_trace(kHeader + "H>D 0.1 1 \"x\" a0").entries.size(), 1u);
}

TEST(ReplayScript, HostBytesBecomeOneStreamAndDeviceTransfersWaitForTheBytesBeforeThem) {
  const Script s = make_script(parse_trace(kHandshake));
  EXPECT_EQ(s.host_stream, (Bytes{0xA0, 0xA0, 0x0A, 1, 2, 3, 4}));
  ASSERT_EQ(s.actions.size(), 5u);
  EXPECT_EQ(s.actions[0].after_host_bytes, 2u);
  EXPECT_EQ(s.actions[0].bytes, Bytes{0x5F});
  EXPECT_EQ(s.actions[1].after_host_bytes, 3u);
  EXPECT_EQ(s.actions[2].after_host_bytes, 7u);
  EXPECT_EQ(s.actions[3].kind, DeviceAction::Kind::zero_length_packet);
  EXPECT_EQ(s.actions[4].line, 12u);  // the final close has no open after it: no re-enumeration
  EXPECT_EQ(s.leading_a0s, 2u);
  EXPECT_EQ(s.retry_begin, 0u);
  EXPECT_EQ(s.retry_end, 1u);
  ASSERT_NE(s.record_at(4), nullptr);
  EXPECT_EQ(s.record_at(4)->line, 9u);
  EXPECT_EQ(s.record_at(7), nullptr);
}

TEST(ReplayScript, ACloseFollowedByAnOpenIsAReEnumeration) {
  const Script s = make_script(parse_trace(kHeader +
                                           "@ 0.1 open usb 1-1 (0e8d:2000)\n"
                                           "H>D 0.2 2 \"USB_SPEED (70)\" 7001\n"
                                           "D>H 0.3 1 \"ack\" 5a\n"
                                           "@ 0.4 close usb 1-1 (0e8d:2000)\n"
                                           "@ 1.4 open usb 1-2 (0e8d:2001)\n"
                                           "H>D 1.5 1 \"USB_CHECK_STATUS (72)\" 72\n"
                                           "@ 2.0 close usb 1-2 (0e8d:2001)\n"));
  ASSERT_EQ(s.actions.size(), 2u);
  EXPECT_EQ(s.actions[1].kind, DeviceAction::Kind::reenumerate);
  EXPECT_EQ(s.actions[1].after_host_bytes, 2u);
  EXPECT_EQ(s.leading_a0s, 0u);
}

// What the device did, in order: units as hex-free byte vectors, "ZLP", "disconnect".
struct Sent {
  std::string what;
  Bytes bytes;
  bool operator==(const Sent&) const = default;
};

// Hands out host chunks in order; then LinkStopped (the test's end), or HostGone where scripted.
class ScriptedHost final : public DeviceLink {
 public:
  void host_sends(Bytes chunk) { chunks_.push_back(std::move(chunk)); }
  void host_leaves() { chunks_.push_back(std::nullopt); }

  std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point) override {
    if (chunks_.empty()) throw LinkStopped();
    if (!chunks_.front()) {
      chunks_.pop_front();
      throw HostGone();
    }
    Bytes& chunk = *chunks_.front();
    const std::size_t n = std::min(buffer.size(), chunk.size());
    std::copy_n(chunk.begin(), n, buffer.begin());
    chunk.erase(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (chunk.empty()) chunks_.pop_front();
    return n;
  }
  void send_unit(std::span<const std::uint8_t> unit) override {
    if (units_before_leaving == 0) throw HostGone();  // the host closed while the device was sending
    --units_before_leaving;
    sent.push_back({"unit", Bytes(unit.begin(), unit.end())});
  }
  void send_zero_length_packet() override { sent.push_back({"ZLP", {}}); }
  bool tool_present() const override { return true; }
  void disconnect(bool) override { sent.push_back({"disconnect", {}}); }
  void set_muted(bool m) override { muted = m; }
  void sleep_for(std::chrono::milliseconds) override {}

  std::vector<Sent> sent;
  bool muted = false;
  int units_before_leaving = -1;  // -1: the host never leaves while the device sends

 private:
  std::deque<std::optional<Bytes>> chunks_;
};

std::shared_ptr<ReplayOutcome> replay(const std::string& trace, ScriptedHost& host) {
  auto outcome = std::make_shared<ReplayOutcome>();
  ReplayDevice(make_script(parse_trace(trace)), outcome).run(host);
  return outcome;
}

const std::vector<Sent> kHandshakeAnswers = {
    {"unit", {0x5F}}, {"unit", {0xF5}}, {"unit", Bytes(1024, 0x77)}, {"ZLP", {}}, {"unit", {0xAB, 0xCD}}};

TEST(Replay, PassesWhenTheHostSendsTheSameBytesHoweverItCutsThem) {
  for (const auto& cuts : std::vector<std::vector<Bytes>>{
           {{0xA0}, {0xA0}, {0x0A}, {1, 2, 3, 4}},
           {{0xA0, 0xA0, 0x0A, 1, 2, 3, 4}},
           {{0xA0}, {0xA0, 0x0A, 1}, {2}, {3, 4}}}) {
    ScriptedHost host;
    for (const Bytes& c : cuts) host.host_sends(c);
    host.host_leaves();
    const auto outcome = replay(kHandshake, host);
    EXPECT_TRUE(outcome->passed()) << outcome->verdict();
    EXPECT_EQ(host.sent, kHandshakeAnswers);  // transfers as recorded, the ZLP included
    EXPECT_TRUE(host.muted);
    EXPECT_NE(outcome->verdict().find("all 7 bytes"), std::string::npos) << outcome->verdict();
  }
}

TEST(Replay, TheFirstDifferingByteFailsNamingItsOffsetAndLineAndTheDeviceGoesMute) {
  ScriptedHost host;
  host.host_sends({0xA0, 0xA0, 0x0A, 1, 2, 0xEE, 4});
  host.host_leaves();
  const auto outcome = replay(kHandshake, host);
  EXPECT_FALSE(outcome->passed());
  const std::string verdict = outcome->verdict();
  EXPECT_EQ(verdict.rfind("replay failed: host byte at offset 5 differs", 0), 0u) << verdict;
  EXPECT_NE(verdict.find("trace line 9"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("byte 2 of a 4-byte H>D record"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("expected 03 04, got ee 04"), std::string::npos) << verdict;
  // Nothing after the mismatch: the data transfer due after the command never went out.
  EXPECT_EQ(host.sent, (std::vector<Sent>{{"unit", {0x5F}}, {"unit", {0xF5}}}));
  EXPECT_TRUE(host.muted);
}

TEST(Replay, HostBytesBeyondTheTraceFail) {
  ScriptedHost host;
  host.host_sends({0xA0, 0xA0, 0x0A, 1, 2, 3, 4});
  host.host_sends({0xDB});
  host.host_leaves();
  const auto outcome = replay(kHandshake, host);
  EXPECT_FALSE(outcome->passed());
  EXPECT_NE(outcome->verdict().find("more than the trace holds: at host offset 7"), std::string::npos)
      << outcome->verdict();
}

TEST(Replay, StoppingBeforeTheEndIsIncompleteAndAHostThatLeavesEarlyFails) {
  ScriptedHost stopped;
  stopped.host_sends({0xA0, 0xA0, 0x0A});
  const auto incomplete = replay(kHandshake, stopped);
  EXPECT_FALSE(incomplete->passed());
  EXPECT_EQ(incomplete->verdict(),
            "replay incomplete: the host sent 3 of the 7 bytes the trace holds (waiting at trace line 9)");

  ScriptedHost left;
  left.host_sends({0xA0, 0xA0});
  left.host_leaves();
  const auto failed = replay(kHandshake, left);
  EXPECT_NE(failed->verdict().find("the host closed the link after 2 of the 7 bytes"), std::string::npos)
      << failed->verdict();
}

// The host resends A0 when its 50 ms window passed without 5F: the device answers each extra A0
// right after the leading run again, as a Preloader would. Elsewhere an A0 is a mismatch.
TEST(Replay, AnExtraHandshakeA0IsAnsweredAgainButOnlyThere) {
  ScriptedHost retry;
  retry.host_sends({0xA0, 0xA0, 0xA0, 0xA0, 0x0A, 1, 2, 3, 4});
  retry.host_leaves();
  const auto outcome = replay(kHandshake, retry);
  EXPECT_TRUE(outcome->passed()) << outcome->verdict();
  EXPECT_NE(outcome->verdict().find("2 handshake retries"), std::string::npos) << outcome->verdict();
  std::vector<Sent> expected = {{"unit", {0x5F}}, {"unit", {0x5F}}, {"unit", {0x5F}}};
  expected.insert(expected.end(), kHandshakeAnswers.begin() + 1, kHandshakeAnswers.end());
  EXPECT_EQ(retry.sent, expected);

  ScriptedHost late;
  late.host_sends({0xA0, 0xA0, 0x0A, 0xA0});
  late.host_leaves();
  EXPECT_NE(replay(kHandshake, late)->verdict().find("host byte at offset 3 differs"), std::string::npos);
}

// The host need not read what the recorded host read after its last byte; before that it must stay.
TEST(Replay, AHostThatLeavesWhileTheDeviceSendsPassesOnlyAfterItsLastByte) {
  ScriptedHost done;
  done.host_sends({0xA0, 0xA0, 0x0A, 1, 2, 3, 4});
  done.units_before_leaving = 3;  // 5F, F5 and the data go out; the checksum finds the host gone
  const auto passed = replay(kHandshake, done);
  EXPECT_TRUE(passed->passed()) << passed->verdict();
  EXPECT_EQ(done.sent.size(), 4u);  // three units and the ZLP

  ScriptedHost early;
  early.host_sends({0xA0, 0xA0});
  early.units_before_leaving = 0;
  early.host_leaves();
  const auto failed = replay(kHandshake, early);
  EXPECT_NE(failed->verdict().find("the host closed the link after 2 of the 7 bytes"), std::string::npos)
      << failed->verdict();
}

TEST(Replay, AReEnumerationDropsOffTheBusAndLetsTheHostReconnect) {
  const std::string trace = kHeader +
                            "H>D 0.2 2 \"USB_SPEED (70)\" 7001\n"
                            "D>H 0.3 1 \"ack\" 5a\n"
                            "@ 0.4 close usb 1-1 (0e8d:2000)\n"
                            "@ 1.4 open usb 1-2 (0e8d:2001)\n"
                            "H>D 1.5 1 \"USB_CHECK_STATUS (72)\" 72\n"
                            "D>H 1.6 2 \"status\" 5a00\n";
  ScriptedHost host;
  host.host_sends({0x70, 0x01});
  host.host_leaves();  // the host closes its end before it reconnects
  host.host_sends({0x72});
  host.host_leaves();
  const auto outcome = replay(trace, host);
  EXPECT_TRUE(outcome->passed()) << outcome->verdict();
  EXPECT_EQ(host.sent, (std::vector<Sent>{{"unit", {0x5A}}, {"disconnect", {}}, {"unit", {0x5A, 0x00}}}));
}

}  // namespace
}  // namespace mtkfs::sim::replay
