// The mount-mode command line: CLI11 parsing, -o lists as mount(8) passes them, SOURCE, sizes.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/cli_options.h"
#include "app/mount_options.h"

namespace mtkfs::cli {
namespace {

struct Parsed {
  ConnectionOptions connection;
  MountArgs args;
  std::string end = "reboot";
};

// Parses like main() does; argv[0] is added here.
Parsed parse(std::vector<std::string> argv) {
  Parsed p;
  CLI::App app;
  add_connection_options(app, p.connection);
  add_end_option(app, p.end);
  add_mount_options(app, p.args);
  argv.insert(argv.begin(), "mtkfs");
  std::vector<const char*> raw;
  for (const auto& a : argv) raw.push_back(a.c_str());
  app.parse(static_cast<int>(raw.size()), raw.data());
  return p;
}

MountPlan resolve(std::vector<std::string> argv, Parsed* out = nullptr) {
  Parsed p = parse(std::move(argv));
  MountPlan plan = resolve_mount(p.args, p.connection, p.end);
  if (out) *out = p;
  return plan;
}

TEST(MountOptions, DefaultsAreReadOnlyBackgroundWith256MiBCache) {
  const MountPlan plan = resolve({"--da", "da.bin", "/mnt/a50"});
  EXPECT_EQ(plan.mountpoint, "/mnt/a50");
  EXPECT_FALSE(plan.fs.writable);
  EXPECT_FALSE(plan.fs.write_boot);
  EXPECT_FALSE(plan.fs.expose_rpmb);
  EXPECT_FALSE(plan.fs.page_cache);
  EXPECT_FALSE(plan.foreground);
  EXPECT_EQ(plan.cache.cache_size, std::size_t{256} << 20);
  EXPECT_TRUE(plan.fs.extra_mount_options.empty());
}

TEST(MountOptions, RelativePathsBecomeAbsolute) {
  Parsed p;
  const MountPlan plan = resolve({"--da", "da.bin", "--socket", "s.sock", "--log-file", "x.log", "mnt"}, &p);
  const auto cwd = std::filesystem::current_path();
  EXPECT_EQ(plan.mountpoint, (cwd / "mnt").string());
  EXPECT_EQ(plan.log_file, (cwd / "x.log").string());
}

TEST(MountOptions, RwFlagsAndOList) {
  EXPECT_TRUE(resolve({"--rw", "m"}).fs.writable);
  EXPECT_TRUE(resolve({"-o", "rw", "m"}).fs.writable);
  EXPECT_TRUE(resolve({"-orw", "m"}).fs.writable);
  EXPECT_TRUE(resolve({"-o", "writable", "m"}).fs.writable);
  const MountPlan both = resolve({"--rw", "--rw-boot", "m"});
  EXPECT_TRUE(both.fs.writable && both.fs.write_boot);
  EXPECT_TRUE(resolve({"-o", "rw,rw_boot", "m"}).fs.write_boot);
  EXPECT_THROW(resolve({"--rw-boot", "m"}), std::invalid_argument);
  EXPECT_THROW(resolve({"--rw", "-o", "ro", "m"}), std::invalid_argument);
  EXPECT_FALSE(resolve({"-o", "ro", "m"}).fs.writable);
}

TEST(MountOptions, OurKeysAreConsumedOthersGoToFuse) {
  Parsed p;
  const MountPlan plan = resolve(
      {"m", "-o", "allow_other,rpmb,cache_size=16M,noatime", "-o", "da=x.bin,end=stay,wait=5,default_permissions,page_cache"},
      &p);
  EXPECT_TRUE(plan.fs.allow_other);
  EXPECT_TRUE(plan.fs.page_cache);
  EXPECT_TRUE(plan.fs.expose_rpmb);
  EXPECT_EQ(plan.cache.cache_size, std::size_t{16} << 20);
  EXPECT_EQ(plan.fs.extra_mount_options, (std::vector<std::string>{"noatime", "default_permissions"}));
  EXPECT_EQ(p.end, "stay");
  EXPECT_EQ(p.connection.wait_seconds, 5);
  EXPECT_EQ(p.connection.da_file, (std::filesystem::current_path() / "x.bin").string());
  EXPECT_THROW(resolve({"m", "-o", "end=explode"}), std::invalid_argument);
  EXPECT_THROW(resolve({"m", "-o", "wait=-1"}), std::invalid_argument);
  EXPECT_THROW(resolve({"--da", "a.bin", "m", "-o", "da=b.bin"}), std::invalid_argument);
}

TEST(MountOptions, DebugMeansForeground) {
  EXPECT_TRUE(resolve({"-f", "m"}).foreground);
  const MountPlan d = resolve({"-d", "m"});
  EXPECT_TRUE(d.foreground && d.fs.debug);
  EXPECT_TRUE(resolve({"-o", "debug", "m"}).foreground);
}

TEST(MountOptions, CacheSize) {
  EXPECT_EQ(resolve({"--cache-size", "64M", "m"}).cache.cache_size, std::size_t{64} << 20);
  EXPECT_EQ(resolve({"--cache-size", "256MB", "m"}).cache.cache_size, std::size_t{256} << 20) << "the shared size grammar";
  EXPECT_THROW(resolve({"--cache-size", "64M", "-o", "cache_size=32M", "m"}), std::invalid_argument);
  EXPECT_THROW(resolve({"-o", "cache_size=1M", "m"}), std::invalid_argument);
  EXPECT_THROW(resolve({"-o", "cache_size=big", "m"}), std::invalid_argument);
}

TEST(MountOptions, MountHelperFormTakesTheSourceAndIgnoresMountsDefaultRw) {
  Parsed p;
  // Exactly what mount.fuse3 runs for `mount -t fuse.mtkfs socket:/run/a50.sock /mnt/a50 -o da=/d.bin`.
  const MountPlan plan = resolve({"socket:/run/a50.sock", "/mnt/a50", "-o", "rw,da=/d.bin,dev,suid"}, &p);
  EXPECT_EQ(p.connection.socket, "/run/a50.sock");
  EXPECT_EQ(p.connection.da_file, "/d.bin");
  EXPECT_FALSE(plan.fs.writable);
  EXPECT_EQ(plan.fs.extra_mount_options, (std::vector<std::string>{"dev", "suid"}));
  EXPECT_TRUE(resolve({"usb", "/m", "-o", "rw,writable"}).fs.writable);
  EXPECT_THROW(resolve({"usb", "/m", "-o", "rw,rw_boot"}), std::invalid_argument);

  resolve({"port:/dev/ttyACM0", "/m"}, &p);
  EXPECT_EQ(p.connection.port, "/dev/ttyACM0");
  resolve({"usb:1:7", "/m"}, &p);
  EXPECT_EQ(p.connection.usb, "1:7");
  resolve({"usb", "/m"}, &p);
  EXPECT_TRUE(p.connection.usb.empty() && p.connection.socket.empty() && p.connection.port.empty());
  EXPECT_THROW(resolve({"/dev/sdb", "/m"}), std::invalid_argument);
  EXPECT_THROW(resolve({"socket:", "/m"}), std::invalid_argument);
  EXPECT_THROW(resolve({"--socket", "/s", "usb", "/m"}), std::invalid_argument);
}

TEST(MountOptions, PositionalCount) {
  EXPECT_THROW(resolve({}), std::invalid_argument);
  EXPECT_THROW(parse({"a", "b", "c"}), CLI::ParseError);
}

}  // namespace
}  // namespace mtkfs::cli
