// mtkfs --trace: the recorder's lines (docs/trace-format.md), the USB endpoint decorator's transfer
// boundaries (zero-length packets included), and a socket traced through open_transport.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "fake_bulk_endpoint.h"
#include "tests/support/temp_dir.h"
#include "transport/open_transport.h"
#include "transport/packet_stream_transport.h"
#include "transport/traced_transport.h"
#include "transport/wire_trace.h"
#include "unix_server.h"

namespace mtkfs::transport {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::pattern;

constexpr Millis kTimeout{5000};

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string hex(const Bytes& bytes) {
  std::string out;
  wire_text::append_hex(out, bytes);
  return out;
}

// A record line taken apart: direction, length, step as written (quoted), bytes.
struct Record {
  std::string direction, step, hex;
  std::size_t length = 0;
};

// By hand: std::regex recurses per character and would overflow on a 200,000-digit line.
std::vector<Record> records_of(const std::vector<std::string>& lines) {
  static const std::regex kHead(R"(^(H>D|D>H) [0-9]+\.[0-9]{6} ([0-9]+) $)");
  std::vector<Record> out;
  for (const std::string& line : lines) {
    if (line.rfind("H>D", 0) != 0 && line.rfind("D>H", 0) != 0) continue;
    const std::size_t quote = line.find('"');
    std::size_t end = quote + 1;
    while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
    std::smatch m;
    const std::string head = line.substr(0, quote);
    const bool ok = quote != std::string::npos && end + 1 < line.size() && line[end + 1] == ' ' &&
                    std::regex_match(head, m, kHead);
    EXPECT_TRUE(ok) << line.substr(0, 120);
    if (!ok) continue;
    Record r{m[1], line.substr(quote, end + 1 - quote), line.substr(end + 2), std::stoul(m[2])};
    EXPECT_TRUE(r.hex == "-" || r.hex.find_first_not_of("0123456789abcdef") == std::string::npos) << r.hex.substr(0, 40);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> notes_of(const std::vector<std::string>& lines) {
  static const std::regex kNote(R"(^@ [0-9]+\.[0-9]{6} (.*)$)");
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, kNote)) out.push_back(m[1]);
  }
  return out;
}

TEST(WireTrace, OneLinePerTransferWithEveryByteTheStepAndAZeroLengthDash) {
  mtkfs::testing::TempDir dir;
  const Bytes big = pattern(100'000, 7);
  {
    auto trace = WireTrace::create((dir / "t.trace").string());
    trace->note("open socket x\nwith a newline");
    trace->set_step("READ (D6) \"quoted\" back\\slash\ttab");
    trace->record(WireDirection::host_to_device, Bytes{0x0A, 0xB0, 0xFF});
    trace->record(WireDirection::device_to_host, big);
    trace->set_step("");
    trace->record(WireDirection::device_to_host, {});
  }
  const auto lines = lines_of(dir / "t.trace");
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0], "# mtkfs wire trace 1");
  EXPECT_EQ(lines[1].rfind("# format: docs/trace-format.md", 0), 0u) << lines[1];
  EXPECT_EQ(notes_of(lines), std::vector<std::string>{"open socket x with a newline"});
  const auto records = records_of(lines);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].direction, "H>D");
  EXPECT_EQ(records[0].length, 3u);
  EXPECT_EQ(records[0].step, R"("READ (D6) \"quoted\" back\\slash\x09tab")");
  EXPECT_EQ(records[0].hex, "0ab0ff");
  EXPECT_EQ(records[1].direction, "D>H");
  EXPECT_EQ(records[1].length, big.size());
  EXPECT_EQ(records[1].hex, hex(big));  // all of it: a replay needs every byte
  EXPECT_EQ(records[2].length, 0u);
  EXPECT_EQ(records[2].step, "\"\"");
  EXPECT_EQ(records[2].hex, "-");
}

TEST(WireTrace, TimesNeverGoBackAndAFileThatCannotBeMadeIsNamed) {
  mtkfs::testing::TempDir dir;
  {
    auto trace = WireTrace::create((dir / "t.trace").string());
    for (int i = 0; i < 50; ++i) trace->record(WireDirection::host_to_device, Bytes{0xA0});
  }
  double last = -1;
  for (const std::string& line : lines_of(dir / "t.trace")) {
    if (line.rfind("H>D ", 0) != 0) continue;
    const double t = std::stod(line.substr(4));
    EXPECT_GE(t, last);
    last = t;
  }
  try {
    WireTrace::create((dir / "missing" / "t.trace").string());
    ADD_FAILURE() << "created a file in a missing directory";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/t.trace"), std::string::npos) << e.what();
  }
}

TEST(WireTrace, RecordsFromSeveralThreadsStayWholeLines) {
  mtkfs::testing::TempDir dir;
  {
    auto trace = WireTrace::create((dir / "t.trace").string());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&trace, t] {
        for (int i = 0; i < 200; ++i)
          trace->record(WireDirection::device_to_host, pattern(static_cast<std::size_t>(1 + (i * 37 + t) % 5000), static_cast<std::uint32_t>(i)));
      });
    }
    for (auto& thread : threads) thread.join();
  }
  const auto records = records_of(lines_of(dir / "t.trace"));
  EXPECT_EQ(records.size(), 800u);
  for (const Record& r : records) EXPECT_EQ(r.hex.size(), 2 * r.length);
}

// Every completed IN transfer is one record, a zero-length packet too; a timeout that brought
// nothing is no transfer. OUT records what the endpoint actually took.
TEST(TracedBulkEndpoint, RecordsEachCompletedTransferIncludingZeroLengthPackets) {
  mtkfs::testing::TempDir dir;
  auto trace = WireTrace::create((dir / "t.trace").string());
  auto fake = std::make_unique<testing::FakeBulkEndpoint>();
  testing::FakeBulkEndpoint& device = *fake;
  TracedBulkEndpoint endpoint(std::move(fake), trace);
  const Bytes unit = pattern(1024, 3);
  device.send_packet(Bytes{1, 2, 3});
  device.send_packet({});
  device.go_quiet();
  device.send_unit(unit);
  device.limit_out_per_call(4);

  Bytes buffer(512);
  EXPECT_EQ(endpoint.bulk_in(buffer, kTimeout).transferred, 3u);
  EXPECT_EQ(endpoint.bulk_in(buffer, kTimeout).transferred, 0u);  // the ZLP
  EXPECT_EQ(endpoint.bulk_in(buffer, kTimeout).status, BulkStatus::timeout);
  Bytes queued(1024);
  endpoint.submit_in(std::span(queued).first(512));
  endpoint.submit_in(std::span(queued).subspan(512));
  EXPECT_EQ(endpoint.reap_in(kTimeout).transferred, 512u);
  EXPECT_EQ(endpoint.reap_in(kTimeout).transferred, 512u);
  EXPECT_EQ(endpoint.bulk_out(Bytes{9, 8, 7, 6, 5, 4}, kTimeout).transferred, 4u);

  const auto records = records_of(lines_of(dir / "t.trace"));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].hex, "010203");
  EXPECT_EQ(records[1].length, 0u);
  EXPECT_EQ(records[2].hex, hex(Bytes(unit.begin(), unit.begin() + 512)));
  EXPECT_EQ(records[3].hex, hex(Bytes(unit.begin() + 512, unit.end())));
  EXPECT_EQ(records[4].direction, "H>D");
  EXPECT_EQ(records[4].hex, "09080706");
}

// The whole host side: a PacketStreamTransport over the decorated endpoint, the step named through
// Transport::note_step, session notes from TracedTransport.
TEST(TracedTransport, NamesTheStepAndNotesOpenFailureAndClose) {
  mtkfs::testing::TempDir dir;
  auto trace = WireTrace::create((dir / "t.trace").string());
  auto fake = std::make_unique<testing::FakeBulkEndpoint>();
  testing::FakeBulkEndpoint& device = *fake;
  device.send_unit(Bytes{0x5F});
  {
    auto stream = std::make_unique<PacketStreamTransport>(
        std::make_unique<TracedBulkEndpoint>(std::move(fake), trace), "fake usb");
    TracedTransport link(std::move(stream), trace);
    link.note_step("handshake byte A0");
    link.write_all(Bytes{0xA0}, kTimeout);
    Bytes one(1);
    link.read_exact(one, kTimeout);
    EXPECT_THROW(link.read_exact(one, Millis{20}), TimeoutError);
  }
  const auto lines = lines_of(dir / "t.trace");
  const auto records = records_of(lines);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].step, "\"handshake byte A0\"");
  EXPECT_EQ(records[0].hex, "a0");
  EXPECT_EQ(records[1].step, "\"handshake byte A0\"");
  EXPECT_EQ(records[1].hex, "5f");
  const auto notes = notes_of(lines);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0], "open fake usb");
  EXPECT_EQ(notes[1].rfind("read failed: timed out", 0), 0u) << notes[1];
  EXPECT_EQ(notes[2], "close fake usb");
}

// A socket records each read()/write() result; a second open with the same options (a reconnect)
// appends to the same file.
TEST(TracedTransport, SocketRecordsEverySyscallAndAReconnectAppends) {
  mtkfs::testing::TempDir dir;
  const std::string path = (dir / "sim.sock").string();
  testing::UnixServer server(path);
  ConnectOptions options;
  options.socket = path;
  options.wait_seconds = 5;
  options.trace = WireTrace::create((dir / "t.trace").string());
  const Bytes reply = pattern(3000, 11);
  for (int session = 0; session < 2; ++session) {
    auto link = open_transport(options);
    server.accept_peer();
    link->write_all(Bytes{0xA0, 0x0A}, kTimeout);
    EXPECT_EQ(server.receive(2), (Bytes{0xA0, 0x0A}));
    server.send(reply);
    Bytes got(reply.size());
    link->read_exact(got, kTimeout);
    EXPECT_EQ(got, reply);
    server.close_peer();
  }
  const auto lines = lines_of(dir / "t.trace");
  std::string in_hex;
  std::size_t writes = 0;
  for (const Record& r : records_of(lines)) {
    if (r.direction == "H>D") {
      EXPECT_EQ(r.hex, "a00a");
      ++writes;
    } else {
      in_hex += r.hex;
    }
  }
  EXPECT_EQ(writes, 2u);
  EXPECT_EQ(in_hex, hex(reply) + hex(reply));
  const auto notes = notes_of(lines);
  EXPECT_EQ(notes, (std::vector<std::string>{"open socket " + path, "close socket " + path, "open socket " + path,
                                             "close socket " + path}));
}

}  // namespace
}  // namespace mtkfs::transport
