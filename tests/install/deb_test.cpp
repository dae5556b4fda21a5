// The .deb made by CPack (cmake/packaging.cmake) installs with apt-get, its programs run and mount the
// simulator from /usr/bin, and `apt-get purge` takes every file away again.
//
// The test installs a package on the machine it runs on, so it needs root, and it leaves the machine
// as it found it: it refuses to run over an mtkfs that is already there (a package or files in /usr),
// removes its package on every way out, and holds a machine-wide lock so that two build trees
// running it at once take turns.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/install/option_lists.h"
#include "tests/install/programs.h"
#include "tests/support/mount_process.h"
#include "tests/support/requirements.h"
#include "tests/support/run_program.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Where the package puts its files (CPACK_PACKAGING_INSTALL_PREFIX /usr, man pages gzipped).
const std::vector<std::string> kPackageFiles = {
    "/usr/bin/mtkfs",
    "/usr/bin/mtkfs-sim",
    "/usr/share/man/man1/mtkfs.1.gz",
    "/usr/share/man/man1/mtkfs-sim.1.gz",
    "/usr/lib/udev/rules.d/52-mtkfs.rules",
};
// Also checked before the install: an uncompressed page left by `cmake --install --prefix /usr`.
const std::vector<std::string> kOtherInstalledFiles = {
    "/usr/share/man/man1/mtkfs.1",
    "/usr/share/man/man1/mtkfs-sim.1",
};
// Left while this test's package is installed, so that a run killed before its cleanup (a ctest
// timeout) is recognised by the next run, which then removes the package instead of refusing.
const char* const kMarker = "/var/tmp/mtkfs-deb-test.installed";
const char* const kLock = "/run/lock/mtkfs-deb-test.lock";

// Runs a program found on PATH (through env(1), which also sets the variables given as NAME=VALUE).
ProgramResult run_tool(const std::vector<std::string>& command, std::chrono::seconds timeout = 120s) {
  return run_program("/usr/bin/env", command, timeout);
}

std::string missing_tools() {
  for (const char* tool : {"apt-get", "dpkg", "dpkg-query", "dpkg-deb", "gzip"})
    if (run_tool({"sh", "-c", std::string("command -v ") + tool}, 30s).exit_code != 0)
      return std::string("needs ") + tool + " (a Debian system with apt)";
  return {};
}

// dpkg's idea of the mtkfs package: "installed", "config-files", "half-installed", ... or
// "not-installed" (also when dpkg has never heard of it).
std::string package_status() {
  const ProgramResult r = run_tool({"dpkg-query", "-W", "-f=${db:Status-Status}", "mtkfs"}, 30s);
  if (r.exit_code != 0 || r.out.empty()) return "not-installed";
  return r.out;
}

std::string apt_output(const ProgramResult& r) { return "exit " + std::to_string(r.exit_code) + "\n" + r.out + r.err; }

ProgramResult apt_get(std::vector<std::string> args) {
  std::vector<std::string> command = {"DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q",
                                      "-o", "DPkg::Lock::Timeout=120"};
  command.insert(command.end(), args.begin(), args.end());
  return run_tool(command, 240s);
}

ProgramResult purge_package() { return apt_get({"purge", "mtkfs"}); }

// Holds /run/lock/mtkfs-deb-test.lock (flock) for the life of the test.
class MachineLock {
 public:
  explicit MachineLock(std::chrono::seconds limit) {
    fd_ = ::open(kLock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
      std::this_thread::sleep_for(200ms);
    }
    held_ = true;
  }
  ~MachineLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

// Purges the package on every way out of the test once the install has been tried.
class PackageCleanup {
 public:
  PackageCleanup() = default;
  ~PackageCleanup() {
    if (!armed_) return;
    if (package_status() != "not-installed") {
      const ProgramResult r = purge_package();
      if (r.exit_code != 0) ADD_FAILURE() << "cleanup: apt-get purge mtkfs failed: " << apt_output(r);
    }
    std::error_code ignored;
    if (package_status() == "not-installed") fs::remove(kMarker, ignored);
  }
  PackageCleanup(const PackageCleanup&) = delete;
  PackageCleanup& operator=(const PackageCleanup&) = delete;
  void arm() {
    armed_ = true;
    std::ofstream(kMarker) << "installed by the mtkfs test DebPackage.*; `apt-get purge mtkfs` removes it\n";
  }

 private:
  bool armed_ = false;
};

// Points mtkfs_program() / mtkfs_sim_program() (and so MountProcess and SimProcess) at other
// programs for its lifetime.
class ProgramsAt {
 public:
  ProgramsAt(const std::string& mtkfs, const std::string& sim) {
    save("MTKFS_BIN", mtkfs);
    save("MTKFS_SIM_BIN", sim);
  }
  ~ProgramsAt() {
    for (const auto& [name, value] : saved_) {
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }
  ProgramsAt(const ProgramsAt&) = delete;
  ProgramsAt& operator=(const ProgramsAt&) = delete;

 private:
  void save(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Empty when nothing of mtkfs is on the machine; else what is, so that the test never replaces
// (and then deletes) someone's installation.
std::string existing_installation() {
  if (std::ifstream(kMarker).good() && package_status() != "not-installed") {
    // A run of this test was killed before its cleanup: its package is ours to remove.
    const ProgramResult r = purge_package();
    if (r.exit_code != 0) return "cannot purge the mtkfs package an interrupted run left: " + apt_output(r);
  }
  if (const std::string status = package_status(); status != "not-installed")
    return "the mtkfs package is on this machine (dpkg status " + status +
           "); the test installs and purges its own, so remove it first";
  std::vector<std::string> files = kPackageFiles;
  files.insert(files.end(), kOtherInstalledFiles.begin(), kOtherInstalledFiles.end());
  for (const std::string& file : files)
    if (fs::exists(fs::symlink_status(file)))
      return file + " exists (an mtkfs installed without the package?); the package would replace it "
                    "and its removal would delete it";
  std::error_code ignored;
  fs::remove(kMarker, ignored);
  return {};
}

// Builds the .deb from this build tree into WORK/package with the tree's own CPack configuration, as
// `cpack -G DEB` does: the same fields, Depends, staging and man page compression. One difference:
// with Makefiles, cpack first builds the "preinstall" target, which is the whole tree; a test never
// builds (the test target depends on the two programs, and `cmake --install` in install_test.cpp
// does not build either), so the configuration names a generator that has no such step.
fs::path build_package(const fs::path& work) {
  const fs::path config = work / "CPackConfig-test.cmake";
  std::ofstream(config) << "include(\"" MTKFS_BUILD_DIR "/CPackConfig.cmake\")\n"
                        << "set(CPACK_CMAKE_GENERATOR Ninja)\n";
  const fs::path out = work / "package";
  const ProgramResult cpack =
      run_program(MTKFS_CPACK_COMMAND, {"-G", "DEB", "--config", config.string(), "-B", out.string()}, 180s);
  if (cpack.exit_code != 0) {
    ADD_FAILURE() << "cpack failed: " << cpack.out << cpack.err;
    return {};
  }
  std::vector<fs::path> debs;
  for (const auto& entry : fs::directory_iterator(out))
    if (entry.path().extension() == ".deb") debs.push_back(entry.path());
  if (debs.size() != 1) {
    ADD_FAILURE() << "expected one .deb in " << out << ", found " << debs.size() << "\n" << cpack.out;
    return {};
  }
  return debs.front();
}

std::string field_of(const fs::path& deb, const std::string& field) {
  const ProgramResult r = run_tool({"dpkg-deb", "-f", deb.string(), field}, 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.empty() ? r.out : r.out.substr(0, r.out.find_last_not_of('\n') + 1);
}

std::string read_file(const fs::path& path) { return read_text_file(path.string()); }

TEST(DebPackage, InstallsRunsTheSimulatorMountAndPurgesCleanly) {
  if (!require_fuse("installs the .deb with apt-get and mounts with the installed mtkfs")) return;
  if (!require(missing_tools())) return;
  MachineLock lock(180s);
  ASSERT_TRUE(lock.held()) << "another run of this test held " << kLock << " for 3 minutes";
  if (!require(existing_installation())) return;

  TempDir work;
  const fs::path deb = build_package(work.path());
  ASSERT_FALSE(deb.empty());

  // The control fields.
  const ProgramResult arch = run_tool({"dpkg", "--print-architecture"}, 30s);
  EXPECT_EQ(deb.filename().string(),
            "mtkfs_" MTKFS_PROJECT_VERSION "_" + arch.out.substr(0, arch.out.find('\n')) + ".deb");
  EXPECT_EQ(field_of(deb, "Package"), "mtkfs");
  EXPECT_EQ(field_of(deb, "Version"), MTKFS_PROJECT_VERSION);
  const std::string depends = field_of(deb, "Depends");
  for (const char* package : {"libfuse3-3", "libusb-1.0-0", "fuse3", "libumockdev0"})
    EXPECT_NE((", " + depends + ",").find(std::string(", ") + package), std::string::npos)
        << package << " missing from Depends: " << depends;
  for (const char* field : {"Maintainer", "Description", "Section"})
    EXPECT_FALSE(field_of(deb, field).empty()) << field;

  // Install, and remove again on every way out from here on.
  PackageCleanup cleanup;
  cleanup.arm();
  const ProgramResult install = apt_get({"install", "--no-install-recommends", deb.string()});
  ASSERT_EQ(install.exit_code, 0) << apt_output(install);
  ASSERT_EQ(package_status(), "installed");

  for (const std::string& file : kPackageFiles) EXPECT_TRUE(fs::is_regular_file(file)) << file;
  for (const char* page : {"mtkfs.1", "mtkfs-sim.1"}) {
    const ProgramResult text = run_tool({"gzip", "-dc", std::string("/usr/share/man/man1/") + page + ".gz"}, 30s);
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out, read_text_file(man_page(page))) << page << " in the package differs from man/" << page;
  }
  EXPECT_NE(read_file("/usr/lib/udev/rules.d/52-mtkfs.rules").find("0e8d"), std::string::npos);

  const ProgramResult version = run_program("/usr/bin/mtkfs", {"--version"}, 30s);
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, "mtkfs " MTKFS_PROJECT_VERSION "\n");
  const ProgramResult sim_version = run_program("/usr/bin/mtkfs-sim", {"--version"}, 30s);
  EXPECT_EQ(sim_version.exit_code, 0) << sim_version.err;
  EXPECT_EQ(sim_version.out, "mtkfs-sim " MTKFS_PROJECT_VERSION "\n");

  // The simulator, mounted with the installed programs only.
  {
    const ProgramsAt installed("/usr/bin/mtkfs", "/usr/bin/mtkfs-sim");
    const fs::path images = work / "images", da = work / "da.bin", mountpoint = work / "mnt";
    fs::create_directory(mountpoint);
    const ProgramResult init = run_program("/usr/bin/mtkfs-sim", {"init", images.string()}, 60s);
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    const ProgramResult make_da = run_program("/usr/bin/mtkfs-sim", {"make-da", da.string()}, 30s);
    ASSERT_EQ(make_da.exit_code, 0) << make_da.out << make_da.err;

    SimProcess sim({"--dir", images.string(), "--socket", (work / "sim.sock").string()});
    MountProcess mount({"--socket", sim.socket_path(), "--da", da.string()}, mountpoint, work / "mtkfs.log");
    ASSERT_TRUE(mount.mounted_at_start()) << mount.log();
    const std::string boot1 = read_file(mount.path("boot1.img"));
    EXPECT_EQ(boot1.size(), 4u << 20);
    EXPECT_TRUE(boot1 == read_file(images / "boot1.img")) << "boot1.img through the mount differs";
    ASSERT_TRUE(mount.unmount()) << mount.log();
    EXPECT_EQ(mount.exit_code(), 0) << mount.log();
  }

  // Purge: the package and every one of its files are gone.
  const ProgramResult purge = purge_package();
  ASSERT_EQ(purge.exit_code, 0) << apt_output(purge);
  EXPECT_EQ(package_status(), "not-installed");
  for (const std::string& file : kPackageFiles) EXPECT_FALSE(fs::exists(fs::symlink_status(file))) << file;
}

}  // namespace
}  // namespace mtkfs::testing
