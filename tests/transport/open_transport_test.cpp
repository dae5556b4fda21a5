#include <gtest/gtest.h>

#include "pty_device.h"
#include "tests/support/temp_dir.h"
#include "transport/open_transport.h"
#include "unix_server.h"

namespace mtkfs::transport {
namespace {

TEST(OpenTransport, RejectsContradictoryOptions) {
  ConnectOptions both;
  both.port = "/dev/ttyACM0";
  both.socket = "/tmp/sim.sock";
  EXPECT_THROW(open_transport(both), TransportError);

  ConnectOptions selector_with_socket;
  selector_with_socket.socket = "/tmp/sim.sock";
  selector_with_socket.usb_selector = "1:5";
  EXPECT_THROW(open_transport(selector_with_socket), TransportError);

  ConnectOptions selector_with_port;
  selector_with_port.port = "/dev/ttyACM0";
  selector_with_port.usb_selector = "1:5";
  EXPECT_THROW(open_transport(selector_with_port), TransportError);
}

TEST(OpenTransport, SocketOption) {
  mtkfs::testing::TempDir dir;
  const std::string path = (dir / "sim.sock").string();
  testing::UnixServer server(path);
  ConnectOptions options;
  options.socket = path;
  options.wait_seconds = 5;
  auto transport = open_transport(options);
  server.accept_peer();
  EXPECT_EQ(transport->describe(), "socket " + path);
  EXPECT_EQ(transport->boot_stage_hint(), BootStage::unknown);
  server.send({0x5F, 0xF5});
  std::vector<std::uint8_t> two(2);
  transport->read_exact(two, Millis{5000});
  EXPECT_EQ(two, (std::vector<std::uint8_t>{0x5F, 0xF5}));
}

TEST(OpenTransport, PortOption) {
  testing::PtyDevice pty;
  ConnectOptions options;
  options.port = pty.slave_path();
  options.wait_seconds = 5;
  auto transport = open_transport(options);
  EXPECT_EQ(transport->describe(), pty.slave_path());
  transport->write_all(std::vector<std::uint8_t>{0xA0}, Millis{5000});
  EXPECT_EQ(pty.receive(1, Millis{5000}), std::vector<std::uint8_t>{0xA0});
}

TEST(OpenTransport, UsbWithInvalidSelectorFailsBeforeWaiting) {
  ConnectOptions options;
  options.usb_selector = "not-a-selector";
  options.wait_seconds = 1;
  try {
    open_transport(options);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("not-a-selector"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mtkfs::transport
