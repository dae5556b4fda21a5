// mtkfs-bench-pty-baseline: what a pty can carry on this machine without any protocol. A child process
// writes N MiB into the master in 1 MiB write() calls of one fixed buffer (as mtkfs-sim sends a D6
// chunk); the parent reads the slave in raw mode into a 1 MiB buffer (as mtkfs reads a chunk) and
// compares the bytes. Prints key=value figures: MB/s and the reader's CPU per GiB (the comparison is
// not counted). A lost byte would leave the reader waiting: alarm() bounds the run.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace {

using mtkfs::bench::Clock;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "mtkfs-bench-pty-baseline: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

constexpr std::size_t kChunk = 1 << 20;
constexpr unsigned kTimeLimitSeconds = 120;

// Not periodic below 1 MiB, so a lost or repeated piece shows.
std::vector<std::uint8_t> make_chunk() {
  std::vector<std::uint8_t> chunk(kChunk);
  std::uint32_t x = 0x12345678;
  for (auto& b : chunk) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return chunk;
}

void writer(int master, std::uint64_t total, const std::vector<std::uint8_t>& chunk) {
  for (std::uint64_t at = 0; at < total;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - at));
    for (std::size_t done = 0; done < n;) {
      const ssize_t w = ::write(master, chunk.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail("write to the pty master");
      done += static_cast<std::size_t>(w);
    }
    at += n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mtkfs-bench-pty-baseline: what a pty carries on this machine without any protocol (1 MiB writes into the "
      "master, 1 MiB reads from the slave in raw mode, bytes compared). Prints key=value figures."};
  std::string size_text = "256M";
  app.add_option("size", size_text, "bytes to move (the size grammar of every mtkfs program: 256M, 1G, 0x1000000)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::uint64_t total = 0;
  try {
    total = mtkfs::parse_size(size_text, "size");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-bench-pty-baseline: %s\n", e.what());
    return 2;
  }
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) fail("posix_openpt");
  const char* name = ::ptsname(master);
  if (!name) fail("ptsname");
  const int slave = ::open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) fail(std::string("open ") + name);
  termios t{};
  if (::tcgetattr(slave, &t) != 0) fail("tcgetattr");
  ::cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (::tcsetattr(slave, TCSANOW, &t) != 0) fail("tcsetattr");

  const std::vector<std::uint8_t> chunk = make_chunk();
  ::alarm(kTimeLimitSeconds);
  const auto start = Clock::now();
  const pid_t child = ::fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    ::close(slave);
    writer(master, total, chunk);
    ::_exit(0);
  }
  const double cpu0 = mtkfs::bench::process_cpu_seconds();
  std::vector<std::uint8_t> buffer(1 << 20);
  std::uint64_t got = 0;
  double check_cpu = 0;
  while (got < total) {
    const ssize_t n = ::read(slave, buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), total - got)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("read from the pty slave");
    const double c0 = mtkfs::bench::thread_cpu_seconds();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n);) {
      const std::size_t in_chunk = static_cast<std::size_t>((got + i) % kChunk);
      const std::size_t len = std::min(static_cast<std::size_t>(n) - i, kChunk - in_chunk);
      if (std::memcmp(buffer.data() + i, chunk.data() + in_chunk, len) != 0) {
        std::fprintf(stderr, "mtkfs-bench-pty-baseline: wrong bytes near offset %llu\n",
                     static_cast<unsigned long long>(got + i));
        return 1;
      }
      i += len;
    }
    check_cpu += mtkfs::bench::thread_cpu_seconds() - c0;
    got += static_cast<std::uint64_t>(n);
  }
  const double seconds = mtkfs::bench::seconds_since(start);
  const double reader_cpu = mtkfs::bench::process_cpu_seconds() - cpu0 - check_cpu;
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "mtkfs-bench-pty-baseline: the writer failed\n");
    return 1;
  }
  std::printf("bytes=%llu seconds=%.3f mbps=%.1f reader_cpu_per_gib=%.3f\n", static_cast<unsigned long long>(total),
              seconds, static_cast<double>(total) / seconds / 1e6,
              reader_cpu / (static_cast<double>(total) / mtkfs::bench::kGiB));
  return 0;
}
