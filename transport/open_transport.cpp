#include "transport/open_transport.h"

#include "transport/socket_transport.h"
#include "transport/traced_transport.h"
#include "transport/tty_transport.h"
#include "transport/usb_transport.h"
#include "transport/wait_limit.h"

namespace mtkfs::transport {

namespace {

std::unique_ptr<Transport> open_medium(const ConnectOptions& options) {
  const WaitLimit limit = WaitLimit::from_seconds(options.wait_seconds);
  if (!options.port.empty()) {
    auto tty = TtyTransport::open(options.port, limit, options.notice);
    if (options.trace) tty->record_to(options.trace);
    return tty;
  }
  if (!options.socket.empty()) {
    auto socket = SocketTransport::connect(options.socket, limit, options.notice);
    if (options.trace) socket->record_to(options.trace);
    return socket;
  }
  return open_usb_transport({options.usb_selector, options.wait_seconds, options.notice, options.trace});
}

}  // namespace

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
  std::unique_ptr<Transport> medium = open_medium(options);
  if (!options.trace) return medium;
  return std::make_unique<TracedTransport>(std::move(medium), options.trace);
}

}  // namespace mtkfs::transport
