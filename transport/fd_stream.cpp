#include "transport/fd_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace mtkfs::transport {

namespace {

using Clock = std::chrono::steady_clock;

// Rounded up so that a deadline 0.4 ms away is not turned into a busy poll(0).
int ms_until(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<Millis>(left).count();
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

bool is_hangup_errno(int e) {
  return e == EIO || e == ECONNRESET || e == EPIPE || e == ENXIO || e == ENODEV || e == ESHUTDOWN;
}

}  // namespace

FdStream::FdStream(int fd, Kind kind, std::string description, std::size_t buffer_capacity)
    : fd_(fd), kind_(kind), description_(std::move(description)), buffer_(buffer_capacity) {}

FdStream::~FdStream() {
  if (fd_ >= 0) ::close(fd_);
}

void FdStream::disconnected(const std::string& why) const {
  throw DisconnectedError(description_ + " disconnected (" + why + ")");
}

short FdStream::poll_input(int timeout_ms) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw TransportError(description_ + ": poll failed: " + std::strerror(errno));
    if (rc == 0) return 0;
    if (p.revents & POLLNVAL) throw TransportError(description_ + ": file descriptor is not open");
    return p.revents;
  }
}

std::size_t FdStream::read_once(std::span<std::uint8_t> into, short revents) {
  const bool hung_up = (revents & (POLLHUP | POLLERR)) != 0;
  if (!(revents & POLLIN)) {
    // Linux reports a closed pty master as POLLHUP without POLLIN; nothing is left to read.
    if (hung_up) disconnected(kind_ == Kind::socket ? "connection closed" : "hangup");
    return 0;
  }
  const ssize_t n = ::read(fd_, into.data(), into.size());
  if (n > 0) {
    if (trace_) trace_->record(WireDirection::device_to_host, into.first(static_cast<std::size_t>(n)));
    return static_cast<std::size_t>(n);
  }
  if (n == 0) {
    // A socket read of 0 is EOF. A raw tty (VMIN 0, VTIME 0) also returns 0 when simply
    // empty, so there only the poll flags mean hangup.
    if (kind_ == Kind::socket || hung_up) disconnected("end of stream");
    return 0;
  }
  const int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
    if (hung_up) disconnected("hangup");
    return 0;
  }
  if (is_hangup_errno(e)) disconnected(std::strerror(e));
  throw TransportError(description_ + ": read failed: " + std::strerror(e));
}

void FdStream::read_exact(std::span<std::uint8_t> out, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t got = pending_.pop_into(out);
  // During a bulk transfer the next bytes are usually there already, so read() is tried before
  // poll(): on a tty every poll() also waits for the line discipline's flush work (a context switch
  // per ~4 KiB read; docs/performance.md). Only an empty read leads to poll() and its deadline.
  bool try_read_first = true;
  try {
    while (got < out.size()) {
      short revents = POLLIN;
      if (!try_read_first) {
        revents = poll_input(ms_until(deadline));
        if (revents == 0) {
          throw TimeoutError("timed out after " + std::to_string(timeout.count()) +
                             " ms waiting for " + std::to_string(out.size()) + " bytes from " +
                             description_ + " (received " + std::to_string(got) + ")");
        }
      }
      const std::size_t want = out.size() - got;
      std::size_t n = 0;
      if (want >= kDirectReadThreshold) {
        n = read_once(out.subspan(got), revents);
        got += n;
        direct_bytes_ += n;
      } else {
        n = read_once(buffer_, revents);
        const std::size_t take = std::min(n, want);
        std::memcpy(out.data() + got, buffer_.data(), take);
        got += take;
        pending_.push_back(std::span<const std::uint8_t>(buffer_.data() + take, n - take));
      }
      try_read_first = n > 0;
    }
  } catch (const TransportError&) {
    // Keep the stream intact for whoever reads next (see Transport::read_exact).
    pending_.push_front(std::span<const std::uint8_t>(out.data(), got));
    throw;
  }
}

void FdStream::write_all(std::span<const std::uint8_t> data, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t sent = 0;
  while (sent < data.size()) {
    const std::size_t left = data.size() - sent;
    // MSG_NOSIGNAL: a vanished peer must become DisconnectedError, not SIGPIPE.
    const ssize_t n = kind_ == Kind::socket
                          ? ::send(fd_, data.data() + sent, left, MSG_NOSIGNAL)
                          : ::write(fd_, data.data() + sent, left);
    if (n > 0) {
      if (trace_) trace_->record(WireDirection::host_to_device, data.subspan(sent, static_cast<std::size_t>(n)));
      sent += static_cast<std::size_t>(n);
      continue;
    }
    const int e = n < 0 ? errno : EAGAIN;
    if (e == EINTR) continue;
    if (is_hangup_errno(e)) disconnected(std::strerror(e));
    if (e != EAGAIN && e != EWOULDBLOCK) {
      throw TransportError(description_ + ": write failed: " + std::strerror(e));
    }
    pollfd p{fd_, POLLOUT, 0};
    const int rc = ::poll(&p, 1, ms_until(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw TransportError(description_ + ": poll failed: " + std::strerror(errno));
    if (rc == 0) {
      throw TimeoutError("timed out after " + std::to_string(timeout.count()) + " ms sending " +
                         std::to_string(data.size()) + " bytes to " + description_ + " (" +
                         std::to_string(sent) + " sent)");
    }
    if ((p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLOUT)) disconnected("hangup");
  }
}

void FdStream::discard_input(Millis quiet, Millis limit) {
  pending_.clear();
  const auto give_up = Clock::now() + limit;
  while (Clock::now() < give_up) {
    const int wait_ms = static_cast<int>(std::min(quiet, std::max(Millis{0},
        std::chrono::duration_cast<Millis>(give_up - Clock::now()))).count());
    const short revents = poll_input(wait_ms);
    if (revents == 0) return;
    if (read_once(buffer_, revents) == 0 && !(revents & POLLIN)) return;
  }
}

}  // namespace mtkfs::transport
