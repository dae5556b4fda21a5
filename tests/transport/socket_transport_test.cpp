#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/support/temp_dir.h"
#include "transport/socket_transport.h"
#include "unix_server.h"

namespace mtkfs::transport {
namespace {

using testing::UnixServer;
using Bytes = std::vector<std::uint8_t>;

constexpr Millis kTimeout{5000};

Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

struct Connected {
  mtkfs::testing::TempDir dir;
  std::string path = (dir / "sim.sock").string();
  UnixServer server{path};
  std::unique_ptr<SocketTransport> client;
  Connected() {
    client = SocketTransport::connect(path, WaitLimit::after(Millis{5000}));
    server.accept_peer();
  }
};

TEST(SocketTransport, EightMebibytesEachWayByteExact) {
  Connected c;
  const Bytes up = pattern(8 * 1024 * 1024, 0x1234567);
  const Bytes down = pattern(8 * 1024 * 1024 + 2, 0x7654321);  // a chunk plus its checksum
  Bytes received_by_server;
  std::thread device([&] {
    received_by_server = c.server.receive(up.size());
    c.server.send(down);
  });
  c.client->write_all(up, Millis{20000});
  Bytes got(down.size() - 2);
  c.client->read_exact(got, Millis{20000});
  Bytes checksum(2);
  c.client->read_exact(checksum, kTimeout);
  device.join();
  EXPECT_TRUE(received_by_server == up);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), down.begin()));
  EXPECT_EQ(checksum, Bytes(down.end() - 2, down.end()));
  // The bulk of a large read must not be copied through the internal buffer.
  EXPECT_GE(c.client->bytes_read_directly(),
            got.size() - FdStream::kDirectReadThreshold);
}

TEST(SocketTransport, SmallReadsAfterOneLargeWrite) {
  Connected c;
  const Bytes data = pattern(100'000, 9);
  c.server.send(data);
  Bytes got;
  for (std::size_t n : {1, 4, 10, 3, 70'000}) {
    Bytes part(n);
    c.client->read_exact(part, kTimeout);
    got.insert(got.end(), part.begin(), part.end());
  }
  Bytes rest(data.size() - got.size());
  c.client->read_exact(rest, kTimeout);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, data);
}

TEST(SocketTransport, DeadlineThrowsAndKeepsPartialBytes) {
  Connected c;
  Bytes out(4);
  EXPECT_THROW(c.client->read_exact(out, Millis{30}), TimeoutError);
  c.server.send({1, 2, 3});
  EXPECT_THROW(c.client->read_exact(out, Millis{30}), TimeoutError);
  c.server.send({4});
  c.client->read_exact(out, kTimeout);
  EXPECT_EQ(out, (Bytes{1, 2, 3, 4}));
}

TEST(SocketTransport, EndOfStreamIsDisconnected) {
  Connected c;
  c.server.send({0x5A, 0x01});
  c.server.close_peer();
  Bytes two(2);
  c.client->read_exact(two, kTimeout);
  EXPECT_EQ(two, (Bytes{0x5A, 0x01}));
  Bytes one(1);
  EXPECT_THROW(c.client->read_exact(one, kTimeout), DisconnectedError);
  EXPECT_THROW(c.client->write_all(Bytes(1024, 0xA0), kTimeout), DisconnectedError);
}

TEST(SocketTransport, PeerClosingWhileWaitingEndsTheWait) {
  Connected c;
  std::thread close_later([&] {
    std::this_thread::sleep_for(Millis{30});
    c.server.close_peer();
  });
  Bytes out(8);
  EXPECT_THROW(c.client->read_exact(out, Millis{10000}), DisconnectedError);
  close_later.join();
}

TEST(SocketTransport, ConnectGivesUpAtTheDeadline) {
  mtkfs::testing::TempDir dir;
  try {
    SocketTransport::connect((dir / "nobody.sock").string(), WaitLimit::after(Millis{100}));
    FAIL() << "expected TimeoutError";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("nobody.sock"), std::string::npos) << e.what();
  }
}

TEST(SocketTransport, ConnectRetriesUntilTheServerListens) {
  mtkfs::testing::TempDir dir;
  const std::string path = (dir / "late.sock").string();
  std::unique_ptr<UnixServer> server;
  std::thread start_later([&] {
    std::this_thread::sleep_for(Millis{100});
    server = std::make_unique<UnixServer>(path);
  });
  auto client = SocketTransport::connect(path, WaitLimit::after(Millis{10000}));
  start_later.join();
  server->accept_peer();
  server->send({0x5F});
  Bytes one(1);
  client->read_exact(one, kTimeout);
  EXPECT_EQ(one, Bytes{0x5F});
  EXPECT_EQ(client->describe(), "socket " + path);
}

TEST(SocketTransport, NonSocketPathIsAnError) {
  mtkfs::testing::TempDir dir;
  std::ofstream(dir / "file") << "x";
  try {
    SocketTransport::connect((dir / "file").string(), WaitLimit::forever());
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("not a socket"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SocketTransport::connect(std::string(200, 'a'), WaitLimit::after(Millis{100})),
               TransportError);
}

TEST(SocketTransport, DiscardInputDropsWhatIsQueued) {
  Connected c;
  c.server.send({'R', 'E', 'A', 'D', 'Y', 'R', 'E', 'A', 'D', 'Y'});
  Bytes one(1);
  c.client->read_exact(one, kTimeout);
  c.client->discard_input();
  c.server.send({0x5F});
  c.client->read_exact(one, kTimeout);
  EXPECT_EQ(one, Bytes{0x5F});
}

}  // namespace
}  // namespace mtkfs::transport
