// The one entry point the protocol layer uses: pick the medium from the command-line options.
#pragma once

#include <memory>
#include <string>

#include "transport/transport.h"
#include "transport/wire_trace.h"

namespace mtkfs::transport {

struct ConnectOptions {
  std::string usb_selector;  // "BUS:ADDR" (USB only)
  std::string port;          // tty path, e.g. /dev/ttyACM0 or a pty
  std::string socket;        // UNIX socket path of mtkfs-sim
  int wait_seconds = 0;      // how long to wait for the device/port/socket; 0 = forever
  NoticeFn notice;           // plug-in hints and "Found ..." (nobody told when empty)
  // mtkfs --trace: every transfer of every transport opened with these options (a reconnect
  // appends to the same trace). Null: nothing is recorded and nothing costs.
  std::shared_ptr<WireTrace> trace = nullptr;
};

// Exactly one of port / socket, or neither for USB (the default).
// Throws TransportError for contradictory options and whatever the medium throws while opening.
std::unique_ptr<Transport> open_transport(const ConnectOptions& options);

}  // namespace mtkfs::transport
