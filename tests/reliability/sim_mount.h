// One mtkfs-sim process serving a PatternDisk and one foreground mtkfs mounting it, each in its own temp
// dir (socket, mountpoint, log). The simulator can be killed and started again on the same socket.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reliability/reliability_support.h"
#include "tests/support/requirements.h"

namespace mtkfs::reliability {

// A test suite whose tests share one pattern disk, written once per suite. Each test mounts it.
class PatternDiskSuite : public ::testing::Test {
 protected:
  void SetUp() override { mtkfs::testing::require_fuse(); }
  static void SetUpTestSuite() {
    disk_ = new PatternDisk();
  }
  static void TearDownTestSuite() {
    delete disk_;
    disk_ = nullptr;
  }
  static inline PatternDisk* disk_ = nullptr;
};

class SimMount {
 public:
  ~SimMount() {
    mount_.reset();
    const std::string report = sanitizer_report(log_text());
    if (!report.empty()) ADD_FAILURE() << "mtkfs sanitizer report: " << report;
  }
  SimMount(const SimMount&) = delete;
  SimMount& operator=(const SimMount&) = delete;

  SimMount(const PatternDisk& disk, std::vector<std::string> sim_options, std::vector<std::string> mount_options)
      : disk_(disk), mountpoint_(temp_.path() / "mnt") {
    fs::create_directory(mountpoint_);
    start_sim(std::move(sim_options));
    mount_.emplace(mount_args(disk, socket(), mount_options), mountpoint_, log_file());
  }

  void start_sim(std::vector<std::string> options) {
    sim_.reset();
    sim_.emplace(sim_args(disk_, socket(), options));
  }
  // The device vanishes at once (SIGKILL): the socket closes under mtkfs.
  void kill_sim() {
    if (!sim_) return;
    ::kill(sim_->pid(), SIGKILL);
    sim_->wait_exit(std::chrono::seconds(10));
    sim_.reset();
  }

  MountProcess& mount() { return *mount_; }
  const MountProcess& mount() const { return *mount_; }
  bool mounted() const { return mount_->mounted_at_start(); }
  std::string path(const std::string& relative) const { return (mountpoint_ / relative).string(); }
  fs::path socket() const { return temp_.path() / "sim.sock"; }
  fs::path log_file() const { return temp_.path() / "mtkfs.log"; }
  fs::path dir() const { return temp_.path(); }
  std::string log() const { return log_text(); }

 private:
  std::string log_text() const {
    std::ifstream in(log_file());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  TempDir temp_;
  const PatternDisk& disk_;
  fs::path mountpoint_;
  std::optional<SimProcess> sim_;
  std::optional<MountProcess> mount_;  // destroyed first: its unmount may still need the simulator
};

}  // namespace mtkfs::reliability
