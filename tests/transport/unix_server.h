// A minimal UNIX stream socket server standing in for mtkfs-sim.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtkfs::transport::testing {

class UnixServer {
 public:
  explicit UnixServer(const std::string& path) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 4) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
  }
  ~UnixServer() {
    close_peer();
    if (listener_ >= 0) ::close(listener_);
  }
  UnixServer(const UnixServer&) = delete;
  UnixServer& operator=(const UnixServer&) = delete;

  // Waits (bounded) for the client.
  void accept_peer(int timeout_ms = 10000) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) throw std::runtime_error("no client connected");
    peer_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (peer_ < 0) throw std::runtime_error("accept failed");
  }

  void send(const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(peer_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("server send failed");
      done += static_cast<std::size_t>(n);
    }
  }

  std::vector<std::uint8_t> receive(std::size_t n, int quiet_ms = 10000) {
    std::vector<std::uint8_t> out(n);
    std::size_t got = 0;
    while (got < n) {
      pollfd p{peer_, POLLIN, 0};
      if (::poll(&p, 1, quiet_ms) != 1) break;
      const ssize_t r = ::recv(peer_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  void close_peer() {
    if (peer_ >= 0) ::close(peer_);
    peer_ = -1;
  }

 private:
  int listener_ = -1;
  int peer_ = -1;
};

}  // namespace mtkfs::transport::testing
