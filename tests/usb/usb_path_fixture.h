// The real USB path under test: `mtkfs-sim usb` hosts simulated devices on an emulated bus and runs the
// unmodified mtkfs program (or a libusb client) under umockdev's preload, so every byte goes through
// libusb and usbdevfs ioctls. The fixture makes the images (DIR/device, more on request) and the DA file.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/mount_process.h"
#include "tests/support/program_paths.h"
#include "tests/support/requirements.h"
#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {

// Generous for the sanitizer build on a loaded machine.
inline constexpr std::chrono::seconds kUsbTimeout{120};
inline constexpr std::uint64_t kMiB = 1 << 20;

class UsbPath : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!require_fuse("mounts through the emulated USB bus")) return;
    init("device", {"--pattern"});
    const ProgramResult da = run_program(mtkfs_sim_program(), {"make-da", this->da()}, kUsbTimeout);
    ASSERT_EQ(da.exit_code, 0) << da.err;
  }

  void init(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> all{"init", device(name).string()};
    all.insert(all.end(), args.begin(), args.end());
    const ProgramResult r = run_program(mtkfs_sim_program(), all, kUsbTimeout);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::filesystem::path device(const std::string& name = "device") const { return dir_ / name; }
  std::filesystem::path image(const std::string& file, const std::string& name = "device") const {
    return device(name) / file;
  }
  std::string da() const { return (dir_ / "da.bin").string(); }
  std::filesystem::path mountpoint() const { return dir_ / "mnt"; }
  std::string mnt(const std::string& relative) const { return (mountpoint() / relative).string(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // `mtkfs-sim usb --dir DIR/device SIM_ARGS... --`: what runs a program on the emulated bus.
  std::vector<std::string> usb_launcher(const std::vector<std::string>& sim_args = {}) const {
    std::vector<std::string> launcher{mtkfs_sim_program(), "usb", "--dir", device().string()};
    launcher.insert(launcher.end(), sim_args.begin(), sim_args.end());
    launcher.push_back("--");
    return launcher;
  }

  // mtkfs -f --da DA MTKFS_ARGS... DIR/mnt under the launcher; waits for the mount (or the exit).
  std::unique_ptr<MountProcess> mount(const std::vector<std::string>& sim_args,
                                      const std::vector<std::string>& mtkfs_args = {}) {
    std::filesystem::create_directories(mountpoint());
    std::vector<std::string> args{"--da", da(), "--wait", "60"};
    args.insert(args.end(), mtkfs_args.begin(), mtkfs_args.end());
    return std::make_unique<MountProcess>(args, mountpoint(), dir_ / "usb.log", kUsbTimeout, usb_launcher(sim_args));
  }

  // A program and its arguments run on the emulated bus to the end; its output and exit status.
  ProgramResult run_on_bus(const std::vector<std::string>& sim_args, const std::vector<std::string>& command) {
    std::vector<std::string> args = usb_launcher(sim_args);
    args.erase(args.begin());
    args.insert(args.end(), command.begin(), command.end());
    return run_program(mtkfs_sim_program(), args, kUsbTimeout);
  }

 private:
  TempDir dir_;
};

}  // namespace mtkfs::testing
