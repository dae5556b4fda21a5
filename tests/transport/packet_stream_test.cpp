#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "fake_bulk_endpoint.h"
#include "transport/packet_stream_transport.h"

namespace mtkfs::transport {
namespace {

using testing::FakeBulkEndpoint;
using testing::pattern;
using Bytes = std::vector<std::uint8_t>;

constexpr Millis kTimeout{2000};

Bytes ready() { return {'R', 'E', 'A', 'D', 'Y'}; }

struct Harness {
  explicit Harness(std::size_t packet = 512) {
    auto owned = std::make_unique<FakeBulkEndpoint>(packet);
    fake = owned.get();
    stream = std::make_unique<PacketStreamTransport>(std::move(owned), "fake usb");
  }
  Bytes read(std::size_t n, Millis timeout = kTimeout) {
    Bytes out(n);
    stream->read_exact(out, timeout);
    return out;
  }
  FakeBulkEndpoint* fake;
  std::unique_ptr<PacketStreamTransport> stream;
};

TEST(PacketStream, ReadsOfOneFourAndTenBytesCrossPacketBoundaries) {
  Harness h;
  Bytes stream = ready();
  h.fake->send_packet(ready());
  // Then packets of 1, 2, 3, ... 7 bytes with consecutive values.
  std::uint8_t value = 1;
  for (std::size_t len = 1; len <= 7; ++len) {
    Bytes packet;
    for (std::size_t i = 0; i < len; ++i) packet.push_back(value++);
    h.fake->send_packet(packet);
    stream.insert(stream.end(), packet.begin(), packet.end());
  }
  Bytes got;
  for (std::size_t n : {1, 4, 10, 1, 4, 10, 1}) {
    const Bytes part = h.read(n);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, Bytes(stream.begin(), stream.begin() + 31));
  EXPECT_EQ(h.stream->buffered() + got.size(), stream.size());
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
  for (std::size_t size : h.fake->in_sizes()) EXPECT_EQ(size, 512u);
}

TEST(PacketStream, FourteenBytePacketReadAsTenThenFour) {
  // The NW-A50 DA trailer variant with a 4-byte status prefix, arriving as ONE packet: a reader
  // asking libusb for exactly 10 bytes overflows here (mtkclient 2.x "USB Overflow").
  Harness h;
  const Bytes trailer{0x00, 0x00, 0x00, 0x00, 0x5A, 0x01, 0x02, 0x03,
                      0x04, 0x05, 0x06, 0x07, 0x08, 0xC1};
  h.fake->send_packet(trailer);
  EXPECT_EQ(h.read(10), Bytes(trailer.begin(), trailer.begin() + 10));
  const std::size_t calls = h.fake->in_calls();
  EXPECT_EQ(h.read(4), Bytes(trailer.begin() + 10, trailer.end()));
  EXPECT_EQ(h.fake->in_calls(), calls) << "the last 4 bytes must come from the surplus";
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, MergedFullPacketsAreSplitAcrossReads) {
  Harness h;
  const Bytes unit = pattern(512 * 2 + 100, 1);  // two full packets and a short one
  h.fake->send_unit(unit);
  Bytes got;
  for (std::size_t n : {3, 700, 421}) {
    const Bytes part = h.read(n);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, unit);
  EXPECT_EQ(h.stream->buffered(), 0u);
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, OneBytePacketsFillALargerRead) {
  Harness h;
  const Bytes data = pattern(20, 2);
  for (std::uint8_t b : data) h.fake->send_packet({b});
  EXPECT_EQ(h.read(20), data);
  EXPECT_EQ(h.fake->in_calls(), 20u);
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, OneMebibyteChunkPlusChecksumAsOneRead) {
  Harness h;
  const Bytes chunk = pattern(1024 * 1024, 3);
  h.fake->send_unit(chunk);             // 2048 full packets, no ZLP
  h.fake->send_packet({0xAB, 0xCD});    // the checksum unit
  h.fake->send_packet({0x5A});          // a later response that must NOT be swallowed
  const Bytes got = h.read(chunk.size() + 2);
  EXPECT_TRUE(std::equal(chunk.begin(), chunk.end(), got.begin()));
  EXPECT_EQ(got[chunk.size()], 0xAB);
  EXPECT_EQ(got[chunk.size() + 1], 0xCD);
  EXPECT_EQ(h.fake->bad_buffers(), 0u);

  const auto& sizes = h.fake->in_sizes();
  const std::size_t asked = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
  EXPECT_LE(asked, chunk.size() + 512) << "never ask for more than round_up(remaining, MPS)";
  EXPECT_GE(*std::max_element(sizes.begin(), sizes.end()), 64u * 1024) << "large transfers";
  EXPECT_GE(h.fake->max_queued(), 2u) << "several transfers in flight";
  EXPECT_EQ(h.fake->packets_left(), 1u);
  EXPECT_EQ(h.read(1), Bytes{0x5A});
}

TEST(PacketStream, LargeReadWithShortPacketsInsideIsCompacted) {
  // Units that are not multiples of 512 end transfers early while later ones are queued.
  Harness h;
  Bytes all;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Bytes unit = pattern(100'000 + i * 77, 10 + i);
    h.fake->send_unit(unit);
    all.insert(all.end(), unit.begin(), unit.end());
  }
  const Bytes tail{1, 2, 3};
  h.fake->send_unit(tail);
  all.insert(all.end(), tail.begin(), tail.end());
  const Bytes first = h.read(all.size() - 2);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), all.begin()));
  EXPECT_EQ(h.read(2), Bytes(all.end() - 2, all.end()));
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, ZeroLengthPacketsMeanNoDataYet) {
  Harness h;
  h.fake->send_packet({});
  h.fake->send_packet({});
  h.fake->send_packet({0x5F});
  h.fake->send_packet({});
  h.fake->send_packet({0xF5});
  EXPECT_EQ(h.read(2), (Bytes{0x5F, 0xF5}));
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, PartialDataOfATimedOutTransferIsConsumed) {
  Harness h;
  const Bytes data = pattern(1500, 4);
  // Two full packets reach a 1536-byte transfer, then the device pauses: libusb reports a
  // timeout with 1024 bytes transferred. Those bytes must not be lost.
  h.fake->send_unit(Bytes(data.begin(), data.begin() + 1024));
  h.fake->go_quiet();
  h.fake->send_packet(Bytes(data.begin() + 1024, data.end()));
  EXPECT_EQ(h.read(1500), data);
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, TimeoutThrowsAndKeepsWhatArrived) {
  Harness h;
  h.fake->send_packet({1, 2, 3});
  Bytes out(5);
  EXPECT_THROW(h.stream->read_exact(out, Millis{30}), TimeoutError);
  h.fake->send_packet({4, 5});
  EXPECT_EQ(h.read(5), (Bytes{1, 2, 3, 4, 5}));
}

TEST(PacketStream, TimeoutMessageSaysWhatWasAwaited) {
  Harness h;
  Bytes out(4);
  try {
    h.stream->read_exact(out, Millis{20});
    FAIL() << "expected TimeoutError";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("4 bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fake usb"), std::string::npos) << e.what();
  }
}

TEST(PacketStream, UnplugIsDisconnected) {
  Harness h;
  h.fake->send_packet({7});
  h.fake->unplug();
  Bytes out(2);
  EXPECT_THROW(h.stream->read_exact(out, kTimeout), DisconnectedError);
  EXPECT_THROW(h.stream->write_all(Bytes{0xA0}, kTimeout), DisconnectedError);
}

TEST(PacketStream, OverflowIsReportedAsABug) {
  class OverflowingEndpoint : public FakeBulkEndpoint {
   public:
    BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis) override {
      return {BulkStatus::overflow, buffer.size()};
    }
  };
  PacketStreamTransport stream(std::make_unique<OverflowingEndpoint>(), "odd usb");
  Bytes out(1);
  try {
    stream.read_exact(out, kTimeout);
    FAIL() << "expected TransportError";
  } catch (const TimeoutError&) {
    FAIL() << "overflow must not look like a timeout";
  } catch (const DisconnectedError&) {
    FAIL() << "overflow must not look like a disconnect";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("overflow"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bug"), std::string::npos) << e.what();
  }
}

TEST(PacketStream, FullSpeedUsesSixtyFourBytePackets) {
  Harness h(64);
  const Bytes unit = pattern(150, 5);
  h.fake->send_unit(unit);
  EXPECT_EQ(h.read(10), Bytes(unit.begin(), unit.begin() + 10));
  EXPECT_EQ(h.read(140), Bytes(unit.begin() + 10, unit.end()));
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
  for (std::size_t size : h.fake->in_sizes()) EXPECT_EQ(size % 64, 0u);
}

TEST(PacketStream, DiscardInputDropsBufferAndDrainsDevice) {
  Harness h;
  h.fake->send_packet(ready());
  h.fake->send_packet(ready());
  h.fake->send_packet(ready());
  h.fake->go_quiet();
  h.fake->send_packet({0x5F});
  EXPECT_EQ(h.read(1), Bytes{'R'});
  h.stream->discard_input();
  EXPECT_EQ(h.stream->buffered(), 0u);
  EXPECT_EQ(h.read(1), Bytes{0x5F});
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, WriteAllSendsEverythingEvenInPieces) {
  Harness h;
  h.fake->limit_out_per_call(1000);
  const Bytes data = pattern(4500, 6);
  h.stream->write_all(data, kTimeout);
  EXPECT_EQ(h.fake->written(), data);
  EXPECT_EQ(h.fake->out_calls(), 5u);
}

TEST(PacketStream, RandomUnitsAndReadSizesReassembleTheStream) {
  // Whatever the packetisation (units of any size, ZLPs, pauses), the byte stream is exact.
  std::uint32_t rng = 12345;
  const auto next = [&](std::uint32_t bound) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % bound;
  };
  Harness h;
  Bytes stream;
  for (int i = 0; i < 400; ++i) {
    const std::uint32_t kind = next(10);
    if (kind == 0) {
      h.fake->send_packet({});
    } else if (kind == 1) {
      h.fake->go_quiet();
    } else {
      const std::size_t size = kind == 2 ? 512 * (1 + next(300)) : 1 + next(kind == 3 ? 200'000 : 600);
      const Bytes unit = pattern(size, static_cast<std::uint32_t>(i));
      h.fake->send_unit(unit);
      stream.insert(stream.end(), unit.begin(), unit.end());
    }
  }
  Bytes got;
  while (got.size() < stream.size()) {
    const std::size_t left = stream.size() - got.size();
    const std::size_t n = std::min<std::size_t>(left, next(4) == 0 ? 1 + next(1 << 20) : 1 + next(40));
    const Bytes part = h.read(n);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_TRUE(got == stream);
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

TEST(PacketStream, DescribesItselfAndItsStage) {
  PacketStreamTransport stream(std::make_unique<FakeBulkEndpoint>(), "usb 1-4 (0e8d:2000)",
                               BootStage::preloader);
  EXPECT_EQ(stream.describe(), "usb 1-4 (0e8d:2000)");
  EXPECT_EQ(stream.boot_stage_hint(), BootStage::preloader);
}

}  // namespace
}  // namespace mtkfs::transport
