// The Preloader/DA byte protocol over a CDC-ACM tty (/dev/ttyACM0) or a pseudo-terminal.
// No packets here, so no overflow; the tty must be raw or the line discipline would echo and
// translate protocol bytes (docs/protocol/usb.md §6).
#pragma once

#include <termios.h>

#include <memory>
#include <string>

#include "transport/fd_stream.h"
#include "transport/transport.h"
#include "transport/wait_limit.h"

namespace mtkfs::transport {

class TtyTransport : public Transport {
 public:
  // Opens `path` (waiting for it to appear until `limit`), switches it to raw mode and drops the
  // input that arrived before (it went through the cooked, echoing line discipline).
  // Throws TransportError with advice for EACCES/EBUSY; TimeoutError when the node never appears.
  static std::unique_ptr<TtyTransport> open(const std::string& path, WaitLimit limit,
                                            const NoticeFn& notice = {});
  ~TtyTransport() override;

  void write_all(std::span<const std::uint8_t> data, Millis timeout) override;
  void read_exact(std::span<std::uint8_t> out, Millis timeout) override;
  void discard_input() override;
  std::string describe() const override { return stream_.description(); }
  // Every read() and write() result from now on goes to `trace` (mtkfs --trace).
  void record_to(std::shared_ptr<WireTrace> trace) { stream_.record_to(std::move(trace)); }

 private:
  TtyTransport(int fd, const std::string& path, const termios& original);

  FdStream stream_;
  termios original_;
};

// The raw settings TtyTransport applies (exposed for tests): cfmakeraw, 115200 8N1 nominal
// (meaningless for USB CDC but what mtkclient opens), no flow control, VMIN 0 / VTIME 0.
termios raw_tty_settings(const termios& current);

// The message for a failed open(): EBUSY/EACCES get advice (ModemManager, dialout, udev).
std::string tty_open_error(const std::string& path, int error);

}  // namespace mtkfs::transport
