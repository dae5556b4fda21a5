#include "app/mount_options.h"

#include "common/size.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <limits>
#include <stdexcept>

namespace mtkfs::cli {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kDefaultCacheSize = 256 * kMiB;
constexpr std::uint64_t kSmallestCache = 4 * kMiB;  // the cache needs four 1 MiB blocks

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Reads SOURCE (the device spec mount(8) passes first) into `connection`.
void apply_source(const std::string& source, ConnectionOptions& connection) {
  if (!connection.socket.empty() || !connection.port.empty() || !connection.usb.empty())
    throw std::invalid_argument("give the device either as SOURCE ('" + source +
                                "') or with --socket/--port/--usb, not both");
  if (starts_with(source, "socket:") && source.size() > 7) {
    connection.socket = source.substr(7);
  } else if (starts_with(source, "port:") && source.size() > 5) {
    connection.port = source.substr(5);
  } else if (starts_with(source, "usb:") && source.size() > 4) {
    connection.usb = source.substr(4);
  } else if (source != "usb") {
    throw std::invalid_argument("SOURCE must be socket:PATH, port:TTY, usb or usb:BUS:ADDR, not '" +
                                source + "'");
  }
}

int parse_seconds(const std::string& key, const std::string& text, const char* zero_means) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument("-o " + key + "= needs a number of seconds (0 = " + zero_means + "), not '" + text +
                                "'");
  return value;
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) items.push_back(std::move(item));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

struct OptionState {
  bool writable = false;
  bool read_only = false;  // -o ro
  bool rw_boot = false;
  std::string cache_size;
};

// What one -o key may change.
struct KeyTarget {
  bool mount_helper_form;
  OptionState& state;
  MountPlan& plan;
  ConnectionOptions& connection;
  std::string& end;
};

// THE list of -o keys mtkfs takes: parsing, the --help footer and the man-page test all read it.
// Everything else goes to libfuse as it is.
struct MountKey {
  std::string_view name;
  std::string_view value_name;  // empty: a flag
  std::string_view help;
  void (*apply)(const std::string& value, KeyTarget& t);
};

constexpr MountKey kMountKeys[] = {
    {"rw", "",
     "writable mount, like --rw (with a SOURCE, mount(8) always adds rw, so there use 'writable')",
     [](const std::string&, KeyTarget& t) {
       // mount(8) adds "rw" to every mount that is not "ro": in that form only "writable" opens the
       // device for writing, so a forgotten "ro" in fstab cannot make the eMMC writable.
       if (!t.mount_helper_form) t.state.writable = true;
     }},
    {"writable", "", "writable mount in every form", [](const std::string&, KeyTarget& t) { t.state.writable = true; }},
    {"ro", "", "read-only (the default)", [](const std::string&, KeyTarget& t) { t.state.read_only = true; }},
    {"rw_boot", "", "boot1/boot2 writable too, like --rw-boot",
     [](const std::string&, KeyTarget& t) { t.state.rw_boot = true; }},
    {"rpmb", "", "show rpmb.img (read-only)", [](const std::string&, KeyTarget& t) { t.plan.fs.expose_rpmb = true; }},
    {"allow_other", "", "let other users see the files (non-root: user_allow_other in /etc/fuse.conf)",
     [](const std::string&, KeyTarget& t) { t.plan.fs.allow_other = true; }},
    {"page_cache", "", "image files through the kernel's page cache (default: direct I/O; see mtkfs(1))",
     [](const std::string&, KeyTarget& t) { t.plan.fs.page_cache = true; }},
    {"skip_free", "", "blocks the ext2/3/4, FAT or exFAT filesystem of a partition marks free read as zeros and "
                      "are holes (sparse backups in seconds; not a byte-exact image of those blocks)",
     [](const std::string&, KeyTarget& t) { t.plan.fs.skip_free = true; }},
    {"debug", "", "like -d", [](const std::string&, KeyTarget& t) { t.plan.fs.debug = true; }},
    {"cache_size", "SIZE", "like --cache-size",
     [](const std::string& value, KeyTarget& t) { t.state.cache_size = value; }},
    {"da", "FILE", "like --da",
     [](const std::string& value, KeyTarget& t) {
       if (!t.connection.da_file.empty() && t.connection.da_file != value)
         throw std::invalid_argument("--da and -o da= name different files");
       t.connection.da_file = value;
     }},
    {"end", "MODE", "like --end",
     [](const std::string& value, KeyTarget& t) {
       end_mode(value);  // rejects anything but stay/reboot/poweroff
       t.end = value;
     }},
    {"wait", "SECONDS", "like --wait",
     [](const std::string& value, KeyTarget& t) {
       t.connection.wait_seconds = parse_seconds("wait", value, "forever");
     }},
    {"reconnect", "SECONDS", "like --reconnect",
     [](const std::string& value, KeyTarget& t) {
       t.connection.reconnect_seconds = parse_seconds("reconnect", value, "fail at once");
     }},
};

void apply_o_option(const std::string& item, KeyTarget& target) {
  const auto equals = item.find('=');
  const std::string key = item.substr(0, equals);
  const bool has_value = equals != std::string::npos;
  for (const MountKey& k : kMountKeys) {
    if (k.name != key || k.value_name.empty() == has_value) continue;
    k.apply(has_value ? item.substr(equals + 1) : std::string(), target);
    return;
  }
  target.plan.fs.extra_mount_options.push_back(item);
}

// CLI11 would print the two-value positional as "[MOUNTPOINT(0x)]".
class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string name) const override {
    return "Usage: " + name + " [OPTIONS] [SOURCE] MOUNTPOINT\n       " + name +
           " --info --da FILE [OPTIONS]\n";
  }
};

}  // namespace

MountPlan resolve_mount(const MountArgs& args, ConnectionOptions& connection, std::string& end) {
  MountPlan plan;
  if (args.positionals.empty() || args.positionals.size() > 2)
    throw std::invalid_argument("expected [SOURCE] MOUNTPOINT");
  const bool helper_form = args.positionals.size() == 2;
  if (helper_form) apply_source(args.positionals[0], connection);
  plan.mountpoint = absolute(args.positionals.back());

  OptionState state;
  state.writable = args.rw;
  state.rw_boot = args.rw_boot;
  KeyTarget target{helper_form, state, plan, connection, end};
  for (const auto& list : args.o_lists)
    for (const auto& item : split_list(list)) apply_o_option(item, target);

  if (state.writable && state.read_only) throw std::invalid_argument("-o ro contradicts --rw / -o writable");
  if (state.rw_boot && !state.writable)
    throw std::invalid_argument(helper_form ? "rw_boot needs -o writable" : "--rw-boot needs --rw");
  plan.fs.writable = state.writable;
  plan.fs.write_boot = state.rw_boot;
  plan.fs.debug = plan.fs.debug || args.fuse_debug;
  // libfuse's debug trace goes to stderr, which a background daemon no longer has.
  plan.foreground = args.foreground || plan.fs.debug;

  if (!state.cache_size.empty() && !args.cache_size.empty())
    throw std::invalid_argument("give the cache size once: --cache-size or -o cache_size=");
  const std::string cache_text = !state.cache_size.empty() ? state.cache_size : args.cache_size;
  const std::uint64_t cache_size = cache_text.empty() ? kDefaultCacheSize : parse_size(cache_text, "cache size");
  if (cache_size < kSmallestCache) throw std::invalid_argument("the cache size must be at least 4M");
  if (cache_size > std::numeric_limits<std::size_t>::max() / 2)
    throw std::invalid_argument("the cache size " + cache_text + " is too large");
  plan.cache.cache_size = static_cast<std::size_t>(cache_size);

  connection.da_file = absolute(connection.da_file);
  connection.socket = absolute(connection.socket);
  connection.port = absolute(connection.port);
  plan.log_file = absolute(args.log_file);
  plan.stats_file = absolute(args.stats_file);
  return plan;
}

void add_mount_options(CLI::App& app, MountArgs& a) {
  const std::string group = "Mount (mtkfs [options] [SOURCE] MOUNTPOINT)";
  app.add_option("MOUNTPOINT", a.positionals,
                 "the directory to mount on; mount(8) passes SOURCE MOUNTPOINT (SOURCE below)")
      ->type_name("")
      ->expected(0, 2)
      ->group(group);
  app.formatter(std::make_shared<UsageFormatter>());
  app.add_flag("--rw", a.rw, "allow writing user_area.img and partitions/*.img (-o rw)")->group(group);
  app.add_flag("--rw-boot", a.rw_boot,
               "allow writing boot1.img/boot2.img too (they hold the Preloader); needs --rw (-o rw_boot)")
      ->group(group);
  app.add_option("-o", a.o_lists, "mount options, comma separated; see below")
      ->type_name("OPT[,OPT...]")
      ->allow_extra_args(false)
      ->group(group);
  app.add_option("--cache-size", a.cache_size, "memory for cached device data (-o cache_size=SIZE)")
      ->type_name("SIZE=256M")
      ->group(group);
  app.add_flag("-f,--foreground", a.foreground,
               "stay in the foreground; log to stderr; Ctrl-C unmounts")
      ->group(group);
  app.add_flag("-d", a.fuse_debug, "trace every FUSE request on stderr (implies -f; -o debug)")->group(group);
  app.add_option("--log-file", a.log_file,
                 "log to FILE instead of stderr (foreground) or syslog (background)")
      ->type_name("FILE")
      ->group(group);
  app.add_option("--stats-file", a.stats_file,
                 "after the unmount, write the session's figures (device commands and bytes, cache, "
                 "timings, CPU time, peak memory) to FILE as JSON")
      ->type_name("FILE")
      ->group(group);
}

std::string mount_help_footer() {
  std::string text = R"(Mounting:
  mtkfs --da DA.bin /mnt/a50                 read-only, first MediaTek Preloader on USB
  mtkfs --da DA.bin --socket S -f /mnt/a50   mtkfs-sim on a socket, in the foreground
  mount -t fuse.mtkfs usb /mnt/a50 -o da=DA.bin   (fstab: usb /mnt/a50 fuse.mtkfs da=DA.bin,noauto 0 0)
  fusermount3 -u /mnt/a50 (or umount) writes everything back, then ends the session (--end).

  The files: user_area.img, boot1.img, boot2.img, device.txt, status.txt (link, progress, data not yet
  on the device), partitions/NAME.img, and rpmb.img with
  -o rpmb. The program stays in the foreground until the device is connected and mounted, so errors
  reach the terminal; then it detaches and logs to syslog (or --log-file).

SOURCE (mount(8) / fstab form): socket:PATH | port:TTY | usb | usb:BUS:ADDR

-o options taken by mtkfs (the others go to FUSE as they are, e.g. default_permissions, noatime):
)";
  for (const MountKey& k : kMountKeys) {
    std::string key = std::string(k.name);
    if (!k.value_name.empty()) key += "=" + std::string(k.value_name);
    key.resize(std::max<std::size_t>(key.size() + 2, 18), ' ');
    text += "  " + key + std::string(k.help) + "\n";
  }
  return text;
}

std::vector<std::string> mount_option_keys() {
  std::vector<std::string> keys;
  for (const MountKey& k : kMountKeys) keys.emplace_back(k.name);
  return keys;
}

}  // namespace mtkfs::cli
