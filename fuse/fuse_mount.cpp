// Mounting, the multithreaded request loop and the orderly end of a mount.
#include <cerrno>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "fuse/free_space_map.h"
#include "fuse/fs_ops.h"

namespace mtkfs::fusefs {
namespace {

std::string mount_options(const FsOptions& options) {
  std::string o = "fsname=mtkfs,subtype=mtkfs,default_permissions,max_read=" + std::to_string(kMaxTransfer);
  // A read-only mount is refused by the kernel itself before any request reaches us.
  o += options.writable ? ",rw" : ",ro";
  if (options.allow_other) o += ",allow_other";
  for (const auto& extra : options.extra_mount_options) o += "," + extra;
  return o;
}

std::string device_text(cache::Cache& cache) {
  try {
    return cache.describe_device();
  } catch (const std::exception& e) {
    return std::string("device description unavailable: ") + e.what() + "\n";
  }
}

}  // namespace

FuseMount::FuseMount(const std::string& mountpoint, const FsOptions& options)
    : mountpoint_(mountpoint), context_(std::make_unique<FsContext>()) {
  if (options.write_boot && !options.writable)
    throw std::invalid_argument("rw_boot needs rw: boot partitions are only writable on a writable mount");
  std::vector<std::string> args{"mtkfs", "-o", mount_options(options)};
  if (options.debug) args.push_back("-d");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops& ops = filesystem_operations();
  session_ = fuse_session_new(&fargs, &ops, sizeof(ops), context_.get());
  fuse_opt_free_args(&fargs);
  if (!session_) throw std::runtime_error("FUSE refused the mount options: " + args[2]);
  if (fuse_session_mount(session_, mountpoint_.c_str()) != 0) {
    fuse_session_destroy(session_);
    session_ = nullptr;
    throw std::runtime_error("cannot mount a FUSE filesystem at " + mountpoint_ +
                             " (does it exist, is /dev/fuse usable, is something else mounted there?)");
  }
  mounted_ = true;
}

FuseMount::~FuseMount() { finish(); }

void FuseMount::finish() {
  if (mounted_) fuse_session_unmount(session_);
  mounted_ = false;
  if (session_) fuse_session_destroy(session_);  // runs the destroy callback if the kernel sent INIT
  session_ = nullptr;
}

int run_filesystem(FuseMount& mount, const FsOptions& options, cache::Cache& cache,
                   const std::vector<partition::Extent>& partitions) {
  if (!mount.session_) throw std::logic_error("run_filesystem: the mount was already used");
  TreeSource source;
  source.user_size = cache.size(wire::HwPartition::user);
  source.boot1_size = cache.size(wire::HwPartition::boot1);
  source.boot2_size = cache.size(wire::HwPartition::boot2);
  source.rpmb_size = cache.size(wire::HwPartition::rpmb);
  source.partitions = partitions;
  source.device_text = device_text(cache);
  auto free_space = std::make_unique<FreeSpace>();
  if (options.skip_free) source.device_text += "\n" + map_free_space(cache, partitions, *free_space);
  Tree tree(source, options);
  for (const auto& w : tree.warnings()) spdlog::warn("{}", w);

  Filesystem fs(options, cache, std::move(tree), mount.session_);
  fs.free_space = std::move(free_space);
  if (options.skip_free) {
    const FreeSpace* free = fs.free_space.get();
    cache.set_readahead_skip([free](wire::HwPartition part, std::uint64_t offset, std::uint64_t length) {
      return part == wire::HwPartition::user && free->free_bytes(offset, length) == length;
    });
  }
  mount.context_->fs = &fs;
  if (options.install_signal_handlers && fuse_set_signal_handlers(mount.session_) != 0)
    spdlog::warn("cannot install signal handlers; unmount with `umount {}`", mount.mountpoint());

  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, std::max(options.max_threads, 2u));
  fuse_loop_cfg_set_idle_threads(config, std::max(options.max_threads / 2, 1u));
  const int loop_result = fuse_session_loop_mt(mount.session_, config);
  fuse_loop_cfg_destroy(config);

  if (options.install_signal_handlers) fuse_remove_signal_handlers(mount.session_);
  mount.finish();  // unmount, then the destroy callback flushes everything
  if (!fs.destroyed) {
    // The kernel never completed INIT, so destroy did not run; whatever is cached still gets written.
    try {
      cache.flush_all();
    } catch (const std::exception& e) {
      spdlog::error("writing cached data to the device failed: {}", e.what());
      fs.final_flush_failed = true;
    }
  }
  mount.context_->fs = nullptr;
  cache.set_readahead_skip(nullptr);  // the free space map goes with `fs`
  for (const auto& [pointer, file] : fs.open_files)
    if (file->stream != cache::kNoStream) cache.close_stream(file->stream);
  if (loop_result < 0 && loop_result != -ENODEV) spdlog::error("FUSE loop ended with error {}", -loop_result);
  return (loop_result < 0 && loop_result != -ENODEV) || fs.final_flush_failed ? 1 : 0;
}

int run_filesystem(const std::string& mountpoint, const FsOptions& options, cache::Cache& cache,
                   const std::vector<partition::Extent>& partitions) {
  FuseMount mount(mountpoint, options);
  return run_filesystem(mount, options, cache, partitions);
}

}  // namespace mtkfs::fusefs
