// The trace format is a contract between two programs that share no code: what mtkfs --trace
// writes (transport/wire_trace.h), mtkfs-sim --replay reads (sim/replay/trace_file.h).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fake_bulk_endpoint.h"
#include "sim/replay/trace_file.h"
#include "tests/support/temp_dir.h"
#include "transport/wire_trace.h"

namespace mtkfs::transport {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Kind = sim::replay::TraceEntry::Kind;

TEST(TraceFormat, WhatTheWriterWritesTheSimulatorReadsBack) {
  mtkfs::testing::TempDir dir;
  const Bytes chunk = testing::pattern(1 << 20, 5);
  std::string odd_step = "step \"with\" \\ and \x01 and \xC3\xA9";
  {
    auto trace = WireTrace::create((dir / "t.trace").string());
    trace->note("open usb 1-4 (0e8d:2000)");
    trace->set_step(odd_step);
    trace->record(WireDirection::host_to_device, Bytes{0xA0});
    trace->record(WireDirection::device_to_host, chunk);
    trace->record(WireDirection::device_to_host, {});
    trace->note("close usb 1-4 (0e8d:2000)");
  }
  const auto parsed = sim::replay::load_trace(dir / "t.trace");
  EXPECT_TRUE(parsed.warnings.empty());
  ASSERT_EQ(parsed.entries.size(), 5u);
  EXPECT_EQ(parsed.entries[0].kind, Kind::note);
  EXPECT_EQ(parsed.entries[0].text, "open usb 1-4 (0e8d:2000)");
  EXPECT_EQ(parsed.entries[1].kind, Kind::host_bytes);
  EXPECT_EQ(parsed.entries[1].text, odd_step);
  EXPECT_EQ(parsed.entries[1].bytes, Bytes{0xA0});
  EXPECT_EQ(parsed.entries[2].kind, Kind::device_bytes);
  EXPECT_EQ(parsed.entries[2].bytes, chunk);
  EXPECT_EQ(parsed.entries[3].kind, Kind::device_bytes);
  EXPECT_TRUE(parsed.entries[3].bytes.empty());
  EXPECT_EQ(parsed.entries[4].text, "close usb 1-4 (0e8d:2000)");
  for (std::size_t i = 1; i < parsed.entries.size(); ++i) {
    EXPECT_GT(parsed.entries[i].line, parsed.entries[i - 1].line);
    EXPECT_GE(parsed.entries[i].micros, parsed.entries[i - 1].micros);
  }
}

// A process killed in the middle of a record leaves a torn last line: the reader keeps the rest.
TEST(TraceFormat, ATornLastLineIsDroppedWithAWarning) {
  mtkfs::testing::TempDir dir;
  {
    auto trace = WireTrace::create((dir / "t.trace").string());
    trace->record(WireDirection::host_to_device, Bytes{0xA0});
    trace->record(WireDirection::device_to_host, testing::pattern(100, 1));
  }
  std::stringstream text;
  text << std::ifstream(dir / "t.trace").rdbuf();
  const std::string whole = text.str();
  const auto parsed = sim::replay::parse_trace(std::string_view(whole).substr(0, whole.size() - 30));
  ASSERT_EQ(parsed.entries.size(), 1u);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("torn"), std::string::npos) << parsed.warnings[0];
}

}  // namespace
}  // namespace mtkfs::transport
