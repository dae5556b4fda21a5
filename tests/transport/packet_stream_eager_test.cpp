// PacketStreamTransport over an endpoint that fills queued transfers as the device sends (as libusb
// does), with short packets and zero-length packets inside 1 MiB chunks: every byte must arrive in
// order. With transfers placed inside still-queued buffers (the bug of issue 16) these lose data.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "eager_bulk_endpoint.h"
#include "fake_bulk_endpoint.h"
#include "transport/packet_stream_transport.h"

namespace mtkfs::transport {
namespace {

using testing::EagerBulkEndpoint;
using testing::FakeBulkEndpoint;
using testing::pattern;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kChunk = 1024 * 1024;
constexpr Millis kTimeout{5000};

struct EagerHarness {
  EagerHarness() {
    auto fake_owned = std::make_unique<FakeBulkEndpoint>(512);
    fake = fake_owned.get();
    stream = std::make_unique<PacketStreamTransport>(
        std::make_unique<EagerBulkEndpoint>(std::move(fake_owned)), "eager fake usb");
  }
  // Sends `bytes` as transfers of `piece` bytes; a piece that ends on a packet boundary is closed
  // with a zero-length packet, as a device that ends each of its transfers does.
  void send_in_pieces(const Bytes& bytes, std::size_t piece) {
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      const std::size_t n = std::min(piece, bytes.size() - at);
      fake->send_unit(Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                            bytes.begin() + static_cast<std::ptrdiff_t>(at + n)));
      if (n % 512 == 0) fake->send_packet({});
    }
  }
  Bytes read(std::size_t n) {
    Bytes out(n);
    stream->read_exact(out, kTimeout);
    return out;
  }
  FakeBulkEndpoint* fake;
  std::unique_ptr<PacketStreamTransport> stream;
};

std::size_t first_difference(const Bytes& a, const Bytes& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<std::size_t>(ia - a.begin());
}

// A D6 chunk and its checksum read as one 1 MiB + 2 read, then the next reply (the exact reads
// da/ makes), for each way the device might cut the chunk into transfers.
class ChunkInPieces : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ChunkInPieces, ArrivesByteForByte) {
  EagerHarness h;
  const Bytes chunk = pattern(kChunk, static_cast<std::uint32_t>(GetParam()));
  h.send_in_pieces(chunk, GetParam());
  h.fake->send_packet({0x12, 0x34});  // checksum
  h.fake->send_packet({0x5A});        // the next reply: must stay for the next read
  const Bytes got = h.read(kChunk + 2);
  EXPECT_EQ(first_difference(got, [&] {
              Bytes want = chunk;
              want.push_back(0x12);
              want.push_back(0x34);
              return want;
            }()),
            kChunk + 2);
  EXPECT_EQ(h.read(1), Bytes{0x5A});
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

INSTANTIATE_TEST_SUITE_P(PieceSizes, ChunkInPieces,
                         ::testing::Values(100, 511, 512, 513, 1000, 4000, 16383, 16384, 65535,
                                           65536, 65537, 200'000, 524'288),
                         [](const auto& info) { return "Piece" + std::to_string(info.param); });

// One short packet (or a ZLP) at every packet position of a chunk: the transfer it ends can be any
// of the queued ones.
TEST(PacketStreamEager, AShortPacketAtEveryPositionOfAChunk) {
  for (std::size_t packet = 0; packet < kChunk / 512; packet += 37) {
    for (const bool zlp : {false, true}) {
      EagerHarness h;
      const Bytes chunk = pattern(kChunk, static_cast<std::uint32_t>(packet));
      const std::size_t cut = packet * 512 + (zlp ? 0 : 100);
      h.fake->send_unit(Bytes(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(cut)));
      if (zlp) h.fake->send_packet({});
      h.fake->send_unit(Bytes(chunk.begin() + static_cast<std::ptrdiff_t>(cut), chunk.end()));
      const Bytes got = h.read(kChunk);
      ASSERT_EQ(first_difference(got, chunk), kChunk) << "cut at " << cut << (zlp ? " + ZLP" : "");
      ASSERT_EQ(h.fake->bad_buffers(), 0u);
    }
  }
}

// Random transfer lengths and ZLPs across several chunks read back to back.
TEST(PacketStreamEager, RandomTransfersAndZeroLengthPacketsAcrossChunks) {
  std::mt19937 rng(16);
  EagerHarness h;
  Bytes all;
  for (std::uint32_t c = 0; c < 4; ++c) {
    const Bytes chunk = pattern(kChunk, 100 + c);
    std::size_t at = 0;
    while (at < chunk.size()) {
      const std::size_t n =
          std::min<std::size_t>(chunk.size() - at, std::uniform_int_distribution<std::size_t>(1, 70'000)(rng));
      h.fake->send_unit(Bytes(chunk.begin() + static_cast<std::ptrdiff_t>(at),
                              chunk.begin() + static_cast<std::ptrdiff_t>(at + n)));
      if (n % 512 == 0 || rng() % 4 == 0) h.fake->send_packet({});
      at += n;
    }
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
  Bytes got;
  for (int c = 0; c < 4; ++c) {
    const Bytes part = h.read(kChunk);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(first_difference(got, all), all.size());
  EXPECT_EQ(h.fake->bad_buffers(), 0u);
}

}  // namespace
}  // namespace mtkfs::transport
