// libFuzzer target: the simulator's reader of `mtkfs --trace` files (sim/replay/trace_file.h), the
// script made of a trace and the replaying device, which read files users send in.
// Input: the trace text.
// Invariants: the reader throws TraceFormatError naming a line of the input, or returns entries on
// increasing lines after the header whose records hold at most kMaxRecordBytes; written out again in
// the format (docs/trace-format.md) they read back the same; the script's host stream is the H>D
// bytes in order with every device action due within it; and a host that sends exactly that stream
// (cut into pieces the input chooses) makes the replay pass, with the device sending exactly the
// recorded D>H transfers in order.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "sim/replay/replay.h"
#include "sim/replay/script.h"
#include "sim/replay/trace_file.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace mtkfs::sim;
using replay::TraceEntry;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMaxReplayedBytes = 1 << 20;

std::string format_entry(const TraceEntry& e) {
  static constexpr char kHex[] = "0123456789abcdef";
  char time[40];
  std::snprintf(time, sizeof time, "%llu.%06llu", static_cast<unsigned long long>(e.micros / 1'000'000),
                static_cast<unsigned long long>(e.micros % 1'000'000));
  if (e.kind == TraceEntry::Kind::note) return std::string("@ ") + time + " " + e.text + "\n";
  std::string line = e.kind == TraceEntry::Kind::host_bytes ? "H>D " : "D>H ";
  line += std::string(time) + " " + std::to_string(e.bytes.size()) + " \"";
  for (const char c : e.text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      line += '\\';
      line += c;
    } else if (u < 0x20 || u == 0x7F) {
      line += "\\x";
      line += kHex[u >> 4];
      line += kHex[u & 0xF];
    } else {
      line += c;
    }
  }
  line += "\" ";
  if (e.bytes.empty()) line += '-';
  for (const std::uint8_t b : e.bytes) {
    line += kHex[b >> 4];
    line += kHex[b & 0xF];
  }
  return line + "\n";
}

bool same_entries(const replay::ParsedTrace& a, const replay::ParsedTrace& b) {
  return std::equal(a.entries.begin(), a.entries.end(), b.entries.begin(), b.entries.end(),
                    [](const TraceEntry& x, const TraceEntry& y) {
                      return x.kind == y.kind && x.micros == y.micros && x.text == y.text && x.bytes == y.bytes;
                    });
}

// The host: sends the expected stream in pieces of 1..`piece` bytes, then leaves.
class ExactHost final : public DeviceLink {
 public:
  ExactHost(const Bytes& stream, std::size_t piece) : stream_(stream), piece_(std::max<std::size_t>(1, piece)) {}
  std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point) override {
    if (pos_ == stream_.size()) {
      if (++idle_ > 2) throw HostGone();
      return 0;
    }
    const std::size_t n = std::min({buffer.size(), stream_.size() - pos_, piece_ - pos_ % piece_});
    std::copy_n(stream_.begin() + static_cast<std::ptrdiff_t>(pos_), n, buffer.begin());
    pos_ += n;
    return n;
  }
  void send_unit(std::span<const std::uint8_t> unit) override {
    FUZZ_CHECK(!unit.empty(), "an empty unit");
    sent.emplace_back(unit.begin(), unit.end());
  }
  void send_zero_length_packet() override { sent.emplace_back(); }
  bool tool_present() const override { return true; }
  void disconnect(bool) override {}
  void set_muted(bool) override {}
  void sleep_for(std::chrono::milliseconds) override {}

  std::vector<Bytes> sent;

 private:
  const Bytes& stream_;
  std::size_t piece_;
  std::size_t pos_ = 0;
  int idle_ = 0;
};

void check_script(const replay::ParsedTrace& trace, const replay::Script& script) {
  Bytes host;
  std::vector<Bytes> device;
  for (const TraceEntry& e : trace.entries) {
    if (e.kind == TraceEntry::Kind::host_bytes) host.insert(host.end(), e.bytes.begin(), e.bytes.end());
    if (e.kind == TraceEntry::Kind::device_bytes) device.push_back(e.bytes);
  }
  FUZZ_CHECK(script.host_stream == host, "the host stream is not the H>D bytes in order");
  std::uint64_t last = 0;
  std::vector<Bytes> sends;
  for (const replay::DeviceAction& a : script.actions) {
    FUZZ_CHECK(a.after_host_bytes >= last && a.after_host_bytes <= host.size(), "an action due out of order");
    last = a.after_host_bytes;
    if (a.kind != replay::DeviceAction::Kind::reenumerate) sends.push_back(a.bytes);
  }
  FUZZ_CHECK(sends == device, "the device actions are not the D>H records");
  FUZZ_CHECK(script.leading_a0s <= host.size() &&
                 std::all_of(host.begin(), host.begin() + static_cast<std::ptrdiff_t>(script.leading_a0s),
                             [](std::uint8_t b) { return b == 0xA0; }),
             "leading A0 count");
  FUZZ_CHECK(script.retry_begin <= script.retry_end && script.retry_end <= script.actions.size(), "retry range");
  for (const replay::HostRecord& r : script.host_records) {
    FUZZ_CHECK(script.record_at(r.offset) == &r && script.record_at(r.offset + r.length - 1) == &r, "record_at");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  replay::ParsedTrace trace;
  try {
    trace = replay::parse_trace(text);
  } catch (const replay::TraceFormatError& e) {
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    FUZZ_CHECK(e.line() >= 1 && e.line() <= lines, std::string("error on a line that is not there: ") + e.what());
    mtkfs::fuzz::note(e.what());
    return 0;
  }
  std::size_t last_line = 1;
  std::string rewritten = "# mtkfs wire trace 1\n";
  for (const TraceEntry& e : trace.entries) {
    FUZZ_CHECK(e.line > last_line, "entries not on increasing lines after the header");
    FUZZ_CHECK(e.bytes.size() <= replay::kMaxRecordBytes, "record beyond the limit");
    FUZZ_CHECK(e.kind != TraceEntry::Kind::note || e.bytes.empty(), "a note with bytes");
    last_line = e.line;
    rewritten += format_entry(e);
  }
  const replay::ParsedTrace again = replay::parse_trace(rewritten);
  FUZZ_CHECK(same_entries(trace, again) && again.warnings.empty(), "written out again it reads back differently");

  replay::Script script = replay::make_script(trace);
  check_script(trace, script);
  if (script.host_stream.size() + script.device_bytes > kMaxReplayedBytes) return 0;
  std::vector<Bytes> expected_sends;
  for (const replay::DeviceAction& a : script.actions)
    if (a.kind != replay::DeviceAction::Kind::reenumerate) expected_sends.push_back(a.bytes);
  const Bytes stream = script.host_stream;
  ExactHost host(stream, size % 61 + 1);
  auto outcome = std::make_shared<ReplayOutcome>();
  replay::ReplayDevice(std::move(script), outcome).run(host);
  FUZZ_CHECK(outcome->passed(), outcome->verdict());
  FUZZ_CHECK(host.sent == expected_sends, "the device did not send the recorded transfers in order");
  mtkfs::fuzz::note(outcome->verdict());
  return 0;
}
