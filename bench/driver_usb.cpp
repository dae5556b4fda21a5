// The real USB path in the table: mtkfs through libusb and usbdevfs on the emulated bus of `mtkfs-sim
// usb` (docs/usb-emulation.md), measured like the socket rows next to it: the same dd, the same image,
// mtkfs's and the simulator's CPU clocks.
#include <cstdio>

#include "bench/bench_util.h"
#include "bench/driver_bench.h"

namespace mtkfs::bench::driver {
namespace {

// `mtkfs-sim usb` runs mtkfs as its child: that child is the mtkfs whose CPU the row reports.
pid_t only_child(pid_t parent) {
  const std::string children = read_text("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                                         "/children");
  const pid_t child = static_cast<pid_t>(std::atoi(children.c_str()));
  if (child <= 0) throw Failure("mtkfs-sim usb (pid " + std::to_string(parent) + ") has no child");
  return child;
}

}  // namespace

void Bench::usbdevfs_row(bool usb2_hs) {
  std::fprintf(stderr, "== the usbdevfs path%s\n", usb2_hs ? " with usb2-hs" : "");
  if (mtkfs::testing::is_mtkfs_mount(mnt_)) throw Failure(mnt_.string() + " is still mounted");
  fs::remove(stats_file());
  std::vector<std::string> launcher{program("mtkfs-sim"), "usb", "--dir", device_.string()};
  if (usb2_hs) launcher.insert(launcher.end(), {"--link-model", "usb2-hs"});
  launcher.push_back("--");
  auto m = std::make_unique<mtkfs::testing::MountProcess>(
      std::vector<std::string>{"--da", da_, "--stats-file", stats_file().string()}, mnt_, work_ / "mtkfs-usb.log",
      std::chrono::seconds(60), launcher);
  if (!m->mounted_at_start()) throw Failure("mtkfs under mtkfs-sim usb failed to mount:\n" + tail(m->log()));
  const std::uint64_t bytes = usb2_hs ? s_.hs : s_.user;
  const std::string user_area = (mnt_ / "user_area.img").string();
  const Measured r = measure(only_child(m->pid()), m->pid(),
                             dd({"if=" + user_area, "of=/dev/null", "bs=1M", "count=" + std::to_string(bytes / MiB)}));
  compare_files(user_area, 0, img_, 0, bytes, "user_area.img through usbdevfs differs from the device image");
  unmount(m);
  if (usb2_hs) {
    row("3", "usb2-hs read through the mount, libusb + usbdevfs (" + human(bytes) + ")",
        mbps(bytes, r.seconds) + " MB/s", per_gib(r.mtkfs_cpu, bytes), per_gib(r.sim_cpu, bytes),
        "mtkfs-sim usb --link-model usb2-hs; compare the socket row above");
  } else {
    row("2", "the same dd through libusb + usbdevfs (" + human(bytes) + ")", mbps(bytes, r.seconds) + " MB/s",
        per_gib(r.mtkfs_cpu, bytes), per_gib(r.sim_cpu, bytes),
        "mtkfs-sim usb: emulated bus (umockdev), one ioctl round trip per URB");
  }
}

}  // namespace mtkfs::bench::driver
