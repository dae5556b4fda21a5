// The byte protocol over a UNIX stream socket: how mtkfs talks to mtkfs-sim without USB or a pty.
#pragma once

#include <memory>
#include <string>

#include "transport/fd_stream.h"
#include "transport/transport.h"
#include "transport/wait_limit.h"

namespace mtkfs::transport {

class SocketTransport : public Transport {
 public:
  // Connects to `path`, retrying while nobody listens yet (ENOENT/ECONNREFUSED) until `limit`.
  static std::unique_ptr<SocketTransport> connect(const std::string& path, WaitLimit limit,
                                                  const NoticeFn& notice = {});

  void write_all(std::span<const std::uint8_t> data, Millis timeout) override;
  void read_exact(std::span<std::uint8_t> out, Millis timeout) override;
  void discard_input() override;
  std::string describe() const override { return stream_.description(); }
  std::size_t bytes_read_directly() const { return stream_.bytes_read_directly(); }
  // Every read() and write() result from now on goes to `trace` (mtkfs --trace).
  void record_to(std::shared_ptr<WireTrace> trace) { stream_.record_to(std::move(trace)); }

  // Internal read buffer; reads of FdStream::kDirectReadThreshold or more bypass it.
  static constexpr std::size_t kReadBuffer = 1024 * 1024;

 private:
  SocketTransport(int fd, const std::string& path);
  FdStream stream_;
};

}  // namespace mtkfs::transport
