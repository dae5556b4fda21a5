// mtkfs-bench-random FILE: random 4 KiB reads per second through a mounted mtkfs, cold and warm.
//   cold: COUNT reads, each in a different 1 MiB block picked at random over the file, right after the
//         mount (every read misses the cache and costs one device read of a cache block);
//   warm: the same offsets again, ROUNDS times in a new random order (every read hits the cache).
// The file is opened with O_DIRECT so that the kernel's page cache does not answer the warm reads
// (the figure is mtkfs's cache, not the kernel's); with --buffered the page cache is allowed.
// With --compare IMAGE every read is compared with the simulator's image file at the same offset
// (user_area.img <-> user.img).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "bench/bench_util.h"

namespace {

using mtkfs::bench::Clock;
constexpr std::size_t kRead = 4096;
constexpr std::uint64_t kBlock = 1 << 20;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Times the reads; the comparison with the image happens afterwards so that it does not count.
double run_pass(int fd, const std::vector<std::uint64_t>& offsets, std::uint8_t* buffer, int image_fd,
                std::uint64_t& checked) {
  std::vector<std::uint8_t> got(image_fd >= 0 ? offsets.size() * kRead : 0);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const ssize_t n = ::pread(fd, buffer, kRead, static_cast<off_t>(offsets[i]));
    if (n != static_cast<ssize_t>(kRead)) {
      std::fprintf(stderr, "mtkfs-bench-random: pread at %llu returned %zd (%s)\n",
                   static_cast<unsigned long long>(offsets[i]), n, n < 0 ? std::strerror(errno) : "short");
      std::exit(1);
    }
    if (image_fd >= 0) std::memcpy(got.data() + i * kRead, buffer, kRead);
  }
  const double seconds = mtkfs::bench::seconds_since(start);
  std::uint8_t expected[kRead];
  for (std::size_t i = 0; image_fd >= 0 && i < offsets.size(); ++i) {
    if (::pread(image_fd, expected, kRead, static_cast<off_t>(offsets[i])) != static_cast<ssize_t>(kRead) ||
        std::memcmp(expected, got.data() + i * kRead, kRead) != 0) {
      std::fprintf(stderr, "mtkfs-bench-random: wrong bytes in the 4 KiB at offset %llu\n",
                   static_cast<unsigned long long>(offsets[i]));
      std::exit(1);
    }
    ++checked;
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"random 4 KiB reads per second through a mounted mtkfs (cold and warm cache)"};
  std::string path, image;
  std::size_t count = 200;
  int rounds = 20;
  unsigned seed = 1;
  bool buffered = false;
  app.add_option("file", path, "an image file of the mount (user_area.img)")->required();
  app.add_option("--count", count, "distinct 1 MiB blocks read (keep COUNT MiB below the cache size)");
  app.add_option("--rounds", rounds, "warm passes over the same offsets");
  app.add_option("--seed", seed, "random seed");
  app.add_option("--compare", image, "the simulator's image file with the same bytes at the same offsets");
  app.add_flag("--buffered", buffered, "do not use O_DIRECT (the kernel page cache may answer)");
  CLI11_PARSE(app, argc, argv);

  const int fd = ::open(path.c_str(), O_RDONLY | (buffered ? 0 : O_DIRECT));
  if (fd < 0) {
    std::fprintf(stderr, "mtkfs-bench-random: open %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  const int image_fd = image.empty() ? -1 : ::open(image.c_str(), O_RDONLY);
  if (!image.empty() && image_fd < 0) {
    std::fprintf(stderr, "mtkfs-bench-random: open %s: %s\n", image.c_str(), std::strerror(errno));
    return 1;
  }
  struct stat st {};
  ::fstat(fd, &st);
  const std::uint64_t blocks = static_cast<std::uint64_t>(st.st_size) / kBlock;
  if (blocks < count || count == 0) {
    std::fprintf(stderr, "mtkfs-bench-random: %s has %llu blocks of 1 MiB, fewer than --count %zu\n", path.c_str(),
                 static_cast<unsigned long long>(blocks), count);
    return 1;
  }
  std::mt19937_64 random(seed);
  // COUNT distinct blocks, a random 4 KiB-aligned offset inside each.
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint64_t> chosen;
  std::uniform_int_distribution<std::uint64_t> pick_block(0, blocks - 1), pick_page(0, kBlock / kRead - 1);
  while (chosen.size() < count) {
    const std::uint64_t b = pick_block(random);
    if (std::find(chosen.begin(), chosen.end(), b) != chosen.end()) continue;
    chosen.push_back(b);
    offsets.push_back(b * kBlock + pick_page(random) * kRead);
  }
  void* raw = nullptr;
  if (::posix_memalign(&raw, 4096, kRead) != 0) return 1;
  std::unique_ptr<void, FreeDeleter> owner(raw);
  auto* buffer = static_cast<std::uint8_t*>(raw);

  std::uint64_t checked = 0;
  const double cold_s = run_pass(fd, offsets, buffer, image_fd, checked);
  std::vector<std::uint64_t> warm;
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(offsets.begin(), offsets.end(), random);
    warm.insert(warm.end(), offsets.begin(), offsets.end());
  }
  const double warm_s = run_pass(fd, warm, buffer, image_fd, checked);
  ::close(fd);
  std::printf("cold_reads=%zu cold_iops=%.0f warm_reads=%zu warm_iops=%.0f checked=%llu direct=%d\n", count,
              static_cast<double>(count) / cold_s, warm.size(), static_cast<double>(warm.size()) / warm_s,
              static_cast<unsigned long long>(checked), buffered ? 0 : 1);
  return 0;
}
