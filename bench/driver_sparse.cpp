// Section 7: a complete backup (cp --sparse=always of user_area.img, boot1.img and boot2.img) of a device
// filled like a factory-reset NW-A50, under the usb2-hs model, with -o skip_free and without.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "bench/bench_util.h"
#include "bench/driver_bench.h"
#include "partition/partition_table.h"

namespace mtkfs::bench::driver {

using mtkfs::testing::SimProcess;

namespace {

// Files of pseudo-random bytes (they neither compress nor look like zeros) under `dir`, `total` bytes.
void write_files(const fs::path& dir, std::uint64_t total, std::uint64_t file_size) {
  fs::create_directories(dir);
  std::mt19937_64 rng(total);
  std::vector<std::uint64_t> words(file_size / 8);
  for (std::uint64_t done = 0, n = 0; done < total; done += file_size, ++n) {
    for (auto& w : words) w = rng();
    std::ofstream(dir / ("file" + std::to_string(n) + ".bin"), std::ios::binary)
        .write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(words.size() * 8));
  }
}

std::uint64_t allocated(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw Failure("stat " + file.string());
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

// A filesystem image of `size` bytes made by `make` (given its path) is written over `extent`.
void put_filesystem(const fs::path& user_img, const partition::Extent& extent, const fs::path& scratch,
                    const std::function<void(const std::string&)>& make) {
  const fs::path image = scratch / (extent.name + ".fs");
  run(find_program("truncate"), {"-s", std::to_string(extent.size), image.string()});
  make(image.string());
  run(find_program("dd"), {"if=" + image.string(), "of=" + user_img.string(), "bs=1M", "conv=notrunc",
                           "oflag=seek_bytes", "seek=" + std::to_string(extent.offset), "status=none"});
  fs::remove(image);
}

}  // namespace

// The NW-A50's layout (MBR/EBR + PMT) with raw partitions holding pattern bytes, system ("android") 70 %
// full of files, the other Android partitions empty ext4, and the music partition ("contents") FAT32 with
// a few hundred MB of files (a fifth of that in --quick, whose user area is 1 GiB).
fs::path Bench::factory_reset_device() {
  const fs::path dir = work_ / "factory";
  const std::string sim = program("mtkfs-sim");
  if (quick_)
    run(sim, {"init", dir.string(), "--layout", "mbr", "--pattern", "--user-size", "1G"});
  else
    run(sim, {"init", dir.string(), "--layout", "mbr", "--pattern", "--profile", "nw-a50-full"});
  const fs::path user = dir / "user.img";
  const std::uint64_t size = fs::file_size(user);
  const auto table = partition::read_table(
      [&](std::uint64_t offset, std::span<std::uint8_t> out) {
        std::ifstream in(user, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
      },
      size);
  const fs::path scratch = work_ / "factory-files";
  const std::string mke2fs = find_program("mke2fs"), mkfs_vfat = find_program("mkfs.vfat");
  for (const partition::Extent& e : table.extents) {
    if (e.name == "android") {
      write_files(scratch / "system", e.size * 7 / 10, 4 << 20);
      put_filesystem(user, e, scratch, [&](const std::string& image) {
        run(mke2fs, {"-q", "-F", "-t", "ext4", "-d", (scratch / "system").string(), image});
      });
    } else if (e.name == "cache" || e.name == "usrdata" || e.name == "db" || e.name == "var" ||
               e.name == "option2" || e.name == "option3") {
      put_filesystem(user, e, scratch, [&](const std::string& image) { run(mke2fs, {"-q", "-F", "-t", "ext4", image}); });
    } else if (e.name == "contents") {
      write_files(scratch / "music", quick_ ? 60 << 20 : 300 << 20, 4 << 20);
      put_filesystem(user, e, scratch, [&](const std::string& image) {
        run(mkfs_vfat, {"-F", "32", image});
        run(find_program("mcopy"), {"-s", "-i", image, (scratch / "music").string(), "::/"});
      });
    }
  }
  fs::remove_all(scratch);
  return dir;
}

void Bench::sparse_backup_rows() {
  std::fprintf(stderr, "== 7. sparse backups (skip_free)\n");
  ::setenv("MTOOLS_SKIP_CHECK", "1", 1);
  const fs::path device = factory_reset_device();
  std::optional<SimProcess> hs_sim;
  const std::string hs_sock = (work_ / "factory.sock").string();
  start_sim(hs_sim, {"--dir", device.string(), "--socket", hs_sock, "--link-model", "usb2-hs"});
  const std::string user_size = human(fs::file_size(device / "user.img"));
  double with_seconds = 0, share = 0;
  for (const bool skip_free : {true, false}) {
    auto m = mount(hs_sock, skip_free ? std::vector<std::string>{"-o", "skip_free"} : std::vector<std::string>{});
    const fs::path backup = work_ / (skip_free ? "backup-skip-free" : "backup-full");
    fs::remove_all(backup);
    fs::create_directories(backup);
    std::uint64_t used = 0;  // what the mount says holds data (st_blocks): free blocks excluded with skip_free
    std::vector<std::string> args{"--sparse=always"};
    for (const char* name : {"user_area.img", "boot1.img", "boot2.img"}) {
      args.push_back((mnt_ / name).string());
      used += allocated(mnt_ / name);
    }
    args.push_back(backup.string());
    const Measured r = measure(m->pid(), hs_sim->pid(), [&] { run(cp_, args); });
    std::uint64_t stored = 0;
    for (const auto& file : fs::directory_iterator(backup)) stored += allocated(file.path());
    unmount(m);
    fs::remove_all(backup);
    if (skip_free) {
      with_seconds = r.seconds;
      share = 100.0 * static_cast<double>(stored) / static_cast<double>(used);
    }
    row("7",
        std::string("complete backup, cp --sparse=always, usb2-hs, factory-reset NW-A50 (") + user_size +
            " user area), " + (skip_free ? "-o skip_free" : "byte-exact"),
        format("%.1f s", r.seconds), "-", "-",
        "backup allocates " + human(stored) + " = " +
            format("%.1f", 100.0 * static_cast<double>(stored) / static_cast<double>(used)) + " % of the " +
            human(used) + " the mount reports in use");
  }
  target("complete sparse backup with skip_free under 60 s (usb2-hs)", format("%.1f s", with_seconds),
         with_seconds < 60);
  // Below 100 %: zero runs inside used blocks (unused inode table slots, empty FAT entries) are holes too.
  target("its allocated size at most 5 % above the bytes in use", format("%.1f %%", share), share <= 105);
}

}  // namespace mtkfs::bench::driver
