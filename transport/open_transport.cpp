#include "transport/open_transport.h"

#include "transport/socket_transport.h"
#include "transport/tty_transport.h"
#include "transport/usb_transport.h"
#include "transport/wait_limit.h"

namespace mtkfs::transport {

std::unique_ptr<Transport> open_transport(const ConnectOptions& options) {
  const bool has_port = !options.port.empty();
  const bool has_socket = !options.socket.empty();
  if (has_port && has_socket) {
    throw TransportError("choose either a serial port or a socket, not both");
  }
  if ((has_port || has_socket) && !options.usb_selector.empty()) {
    throw TransportError("a USB device selector (BUS:ADDR) only applies to USB, not to " +
                         std::string(has_port ? "a serial port" : "a socket"));
  }
  const WaitLimit limit = WaitLimit::from_seconds(options.wait_seconds);
  if (has_port) return TtyTransport::open(options.port, limit, options.notice);
  if (has_socket) return SocketTransport::connect(options.socket, limit, options.notice);
  return open_usb_transport({options.usb_selector, options.wait_seconds, options.notice});
}

}  // namespace mtkfs::transport
