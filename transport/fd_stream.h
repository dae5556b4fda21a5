// A byte stream over a non-blocking file descriptor (tty or stream socket) with poll() deadlines.
// Small reads are served from an internal buffer (no per-byte syscalls); large reads go straight
// into the caller's buffer once the internal buffer is drained.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transport/byte_queue.h"
#include "transport/transport.h"
#include "transport/wire_trace.h"

namespace mtkfs::transport {

class FdStream {
 public:
  enum class Kind { tty, socket };

  // Takes ownership of `fd` (which must already be O_NONBLOCK) and closes it on destruction.
  FdStream(int fd, Kind kind, std::string description, std::size_t buffer_capacity);
  ~FdStream();
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  void write_all(std::span<const std::uint8_t> data, Millis timeout);
  void read_exact(std::span<std::uint8_t> out, Millis timeout);
  // Drops buffered bytes and whatever arrives until the line stays quiet for `quiet`
  // (never longer than `limit` in total).
  void discard_input(Millis quiet, Millis limit);

  // From now on every read() and write() result goes to `trace` as one transfer.
  void record_to(std::shared_ptr<WireTrace> trace) { trace_ = std::move(trace); }

  int fd() const { return fd_; }
  // Bytes that went from the kernel straight into a caller's buffer (no intermediate copy).
  std::size_t bytes_read_directly() const { return direct_bytes_; }
  const std::string& description() const { return description_; }

  // Reads this size or more bypass the internal buffer.
  static constexpr std::size_t kDirectReadThreshold = 64 * 1024;

 private:
  // poll() for input; the returned revents are 0 when the timeout passed.
  short poll_input(int timeout_ms);
  // One read() after poll() reported `revents`; 0 when nothing was there after all.
  // Throws DisconnectedError on hangup/EOF, TransportError on other errors.
  std::size_t read_once(std::span<std::uint8_t> into, short revents);
  [[noreturn]] void disconnected(const std::string& why) const;

  int fd_;
  Kind kind_;
  std::string description_;
  std::vector<std::uint8_t> buffer_;
  ByteQueue pending_;
  std::size_t direct_bytes_ = 0;
  std::shared_ptr<WireTrace> trace_;  // null unless --trace
};

}  // namespace mtkfs::transport
