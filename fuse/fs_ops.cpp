// The FUSE low-level callbacks. They run on libfuse worker threads (see THREADS.md); each one may block in
// the cache while the device I/O thread works, never holding a lock of its own.
#include "fuse/fs_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "da/block_device.h"
#include "fuse/holes.h"
#include "fuse/status_text.h"

namespace mtkfs::fusefs {
namespace {

constexpr double kAttrTimeout = 3600.0;  // the tree and the sizes never change while mounted (but status.txt's)

Filesystem& fs_of(fuse_req_t req) { return *static_cast<FsContext*>(fuse_req_userdata(req))->fs.load(); }
OpenFile* open_file(const fuse_file_info* fi) { return reinterpret_cast<OpenFile*>(fi->fh); }

// The open file of a read, held until the reply is sent: a release can arrive while a read is still being
// answered (a reader interrupted in the middle), and must not free the text the reply is copied from.
std::shared_ptr<OpenFile> hold_file(Filesystem& fs, const fuse_file_info* fi) {
  std::lock_guard lk(fs.open_files_mutex);
  const auto it = fs.open_files.find(open_file(fi));
  return it == fs.open_files.end() ? nullptr : it->second;
}

// Maps the exception in flight to an errno for the kernel, logging what the user would want to know.
int errno_from_exception(const char* what_op) {
  try {
    throw;
  } catch (const da::DeviceError& e) {
    spdlog::error("{}: {}", what_op, e.what());
    return EIO;
  } catch (const std::out_of_range& e) {
    spdlog::error("{}: {}", what_op, e.what());
    return EINVAL;
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what_op, e.what());
    return EIO;
  } catch (...) {
    return EIO;
  }
}

// status.txt's text now. Cache::stats() takes the cache mutex, which is never held during a device call
// (THREADS.md): reading the file answers at once, also while a long transfer is in flight.
std::string status_now(const Filesystem& fs) {
  StatusFigures f;
  f.cache = fs.cache.stats();
  f.cache_capacity = fs.cache.options().cache_size;
  f.seconds_mounted = std::chrono::duration<double>(std::chrono::steady_clock::now() - fs.serving_since).count();
  const std::uint64_t moved = f.cache.device_read_bytes + f.cache.device_write_bytes;
  f.bytes_since_mount = moved - std::min(moved, fs.device_bytes_at_start);
  f.writable = fs.options.writable;
  return status_text(f);
}

// status.txt changes all the time: the kernel must ask for its size again at every stat.
double attr_timeout(const Node& node) { return node.kind == Node::Kind::status ? 0.0 : kAttrTimeout; }

// `file`: the open file a getattr names (the kernel names it e.g. for lseek(SEEK_END)), or null.
struct stat attributes(const Filesystem& fs, const Node& node, const OpenFile* file = nullptr) {
  struct stat st {};
  st.st_ino = node.ino;
  st.st_uid = getuid();
  st.st_gid = getgid();
  st.st_atime = st.st_mtime = st.st_ctime = fs.mount_time;
  if (node.kind == Node::Kind::directory) {
    st.st_mode = S_IFDIR | 0555;  // the tree is fixed: nothing can be created or removed
    st.st_nlink = 2;
    return st;
  }
  st.st_mode = S_IFREG | (node.writable ? 0644 : 0444);
  st.st_nlink = 1;
  st.st_size = static_cast<off_t>(node.size);
  st.st_blocks = static_cast<blkcnt_t>(allocated_blocks(*fs.free_space, node));
  st.st_blksize = kMaxTransfer;  // invites cp & co. to use big requests
  if (node.kind == Node::Kind::status) {
    // The length of that open file's text, else of the text as it is now (see op_open).
    st.st_size = static_cast<off_t>(file ? file->status.size() : status_now(fs).size());
    st.st_blocks = (st.st_size + 511) / 512;
    st.st_mtime = st.st_ctime = std::time(nullptr);
  }
  return st;
}

void forget_file(Filesystem& fs, OpenFile* file) {
  if (file->stream != cache::kNoStream) fs.cache.close_stream(file->stream);
  std::lock_guard lk(fs.open_files_mutex);
  fs.open_files.erase(file);
}

void op_init(void* userdata, fuse_conn_info* conn) {
  conn->max_write = kMaxTransfer;
  conn->max_read = kMaxTransfer;
  conn->max_readahead = kMaxTransfer;
  conn->max_background = 16;
  conn->congestion_threshold = 12;
  if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
  // Write-through: every write reaches the cache before write(2) returns, so fsync and flush see it.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  (void)userdata;
}

void op_destroy(void* userdata) {
  Filesystem* fs = static_cast<FsContext*>(userdata)->fs.load();
  if (!fs) return;
  try {
    fs->cache.flush_all();
  } catch (const da::LinkLostError&) {
    // The loss and any bytes it cost were logged when it happened and are reported again with the unmount
    // statistics; only written data that never arrived makes this unmount a failure.
    const cache::CacheStats stats = fs->cache.stats();
    if (stats.dirty_bytes + stats.lost_dirty_bytes != 0) fs->final_flush_failed = true;
  } catch (const std::exception& e) {
    spdlog::error("unmount: writing cached data to the device failed: {}", e.what());
    fs->final_flush_failed = true;
  }
  fs->destroyed = true;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Filesystem& fs = fs_of(req);
  const Node* node = fs.tree.child(parent, name);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  fuse_entry_param e{};
  e.ino = node->ino;
  e.attr = attributes(fs, *node);
  e.entry_timeout = kAttrTimeout;
  e.attr_timeout = attr_timeout(*node);
  fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  const Node* node = fs.tree.find(ino);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  const OpenFile* file = fi && fi->fh != 0 ? open_file(fi) : nullptr;
  const struct stat st = attributes(fs, *node, file && file->node == node ? file : nullptr);
  fuse_reply_attr(req, &st, attr_timeout(*node));
}

// Sizes are fixed: truncating to the current size is accepted (open with O_TRUNC of an empty file, tools
// that "truncate" to the size they are about to write), any other size is EPERM. Times are ignored.
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  Filesystem& fs = fs_of(req);
  const Node* node = fs.tree.find(ino);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
    return (void)fuse_reply_err(req, EPERM);
  if (to_set & FUSE_SET_ATTR_SIZE) {
    if (!node->writable) return (void)fuse_reply_err(req, EROFS);
    if (static_cast<std::uint64_t>(attr->st_size) != node->size) return (void)fuse_reply_err(req, EPERM);
  }
  const struct stat st = attributes(fs, *node);
  fuse_reply_attr(req, &st, attr_timeout(*node));
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  Filesystem& fs = fs_of(req);
  const Node* dir = fs.tree.find(ino);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  if (dir->kind != Node::Kind::directory) return (void)fuse_reply_err(req, ENOTDIR);
  std::vector<std::pair<std::string, const Node*>> entries{{".", dir}, {"..", fs.tree.find(dir->parent)}};
  for (Ino child : dir->children) entries.emplace_back(fs.tree.find(child)->name, fs.tree.find(child));
  std::vector<char> buf;
  for (std::size_t i = static_cast<std::size_t>(std::max<off_t>(off, 0)); i < entries.size(); ++i) {
    const struct stat st = attributes(fs, *entries[i].second);
    const std::size_t need = fuse_add_direntry(req, nullptr, 0, entries[i].first.c_str(), nullptr, 0);
    if (buf.size() + need > size) break;
    const std::size_t at = buf.size();
    buf.resize(at + need);
    fuse_add_direntry(req, buf.data() + at, need, entries[i].first.c_str(), &st, static_cast<off_t>(i + 1));
  }
  fuse_reply_buf(req, buf.data(), buf.size());
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  const Node* node = fs.tree.find(ino);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  if (node->kind == Node::Kind::directory) return (void)fuse_reply_err(req, EISDIR);
  const bool for_write = (fi->flags & O_ACCMODE) != O_RDONLY;
  if (for_write && !node->writable) return (void)fuse_reply_err(req, EROFS);
  if (for_write && (fi->flags & O_TRUNC) && node->size != 0) return (void)fuse_reply_err(req, EPERM);
  OpenFile* file = nullptr;
  try {
    auto owned = std::make_unique<OpenFile>(OpenFile{node, cache::kNoStream, for_write, {}});
    if (node->kind == Node::Kind::status) owned->status = status_now(fs);
    file = owned.get();
    std::lock_guard lk(fs.open_files_mutex);
    fs.open_files.emplace(file, std::move(owned));
  } catch (const std::bad_alloc&) {
    return (void)fuse_reply_err(req, ENOMEM);
  }
  if (node->kind == Node::Kind::image) file->stream = fs.cache.open_stream();
  fi->fh = reinterpret_cast<std::uint64_t>(file);
  // Image files use direct I/O unless -o page_cache: a backup then costs mtkfs much less CPU (no page
  // allocation per 4 KiB), the copy no longer pushes gigabytes of the user's page cache out, and a loop
  // device on a partition file does not cache every sector twice (docs/performance.md). Small and
  // repeated reads are still served from mtkfs's own cache. With the page cache, its contents may be
  // kept across opens only when nothing can change the device bytes under them.
  //
  // status.txt is made anew by each open, so its length changes while the kernel may still hold an older
  // size: through the page cache a read would be cut at that size (or padded with stale pages). With
  // direct I/O every read reaches op_read, which serves this open's text up to its own end, whatever
  // size the kernel remembers. getattr reports the length of a text made at that moment (attribute
  // timeout 0), or of the open file's own text when the kernel names the file (lseek to SEEK_END), so a
  // reader that stats first sees a size that was right at the stat; the text it then reads can differ
  // by a few characters when the figures changed in between, and is read to its end all the same.
  const bool direct =
      (node->kind == Node::Kind::image && !fs.options.page_cache) || node->kind == Node::Kind::status;
  fi->direct_io = direct ? 1 : 0;
  fi->keep_cache = !direct && !fs.options.writable ? 1 : 0;
  if (fuse_reply_open(req, fi) != 0) forget_file(fs, file);  // the opener went away: no release will come
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  const std::shared_ptr<OpenFile> file = hold_file(fs, fi);
  if (!file) return (void)fuse_reply_err(req, EBADF);
  const Node& node = *file->node;
  if (off < 0) return (void)fuse_reply_err(req, EINVAL);
  const auto offset = static_cast<std::uint64_t>(off);
  if (node.kind == Node::Kind::status) {
    const std::string& text = file->status;
    if (offset >= text.size()) return (void)fuse_reply_buf(req, nullptr, 0);
    return (void)fuse_reply_buf(req, text.data() + offset, std::min<std::size_t>(size, text.size() - offset));
  }
  if (offset >= node.size) return (void)fuse_reply_buf(req, nullptr, 0);  // at or after EOF
  const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size, node.size - offset));
  if (node.kind == Node::Kind::text) return (void)fuse_reply_buf(req, node.text.data() + offset, length);
  const std::uint64_t device_offset = node.offset + offset;
  const std::uint64_t block = fs.cache.options().block_size;
  thread_local std::vector<std::uint8_t> buffer;
  if (const auto pieces = read_pieces(*fs.free_space, node, offset, length); !pieces.empty()) {
    try {  // -o skip_free: free blocks are zeros, only the used pieces come from the device
      buffer.resize(length);
      for (const FreeSpace::Piece& p : pieces) {
        const std::span<std::uint8_t> out(buffer.data() + (p.offset - device_offset), p.length);
        if (p.free)
          std::fill(out.begin(), out.end(), std::uint8_t{0});
        else
          fs.cache.read(node.part, p.offset, out, file->stream);
      }
    } catch (...) {
      return (void)fuse_reply_err(req, errno_from_exception("read"));
    }
    return (void)fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.data()), length);
  }
  if (length > 0 && device_offset / block == (device_offset + length - 1) / block) {
    // The usual request (the kernel's read-ahead pieces do not cross a cache block): the reply goes to the
    // kernel straight from the cache block; copying it into a buffer first cost ~5 % of mtkfs's CPU
    // (docs/performance.md).
    bool replied = false;
    try {
      fs.cache.read_in_place(node.part, device_offset, length, file->stream,
                             [&](std::span<const std::uint8_t> bytes) {
                               fuse_reply_buf(req, reinterpret_cast<const char*>(bytes.data()), bytes.size());
                               replied = true;
                             });
    } catch (...) {
      if (!replied) fuse_reply_err(req, errno_from_exception("read"));
    }
    return;
  }
  try {
    buffer.resize(length);
    fs.cache.read(node.part, node.offset + offset, std::span(buffer.data(), length), file->stream);
  } catch (...) {
    return (void)fuse_reply_err(req, errno_from_exception("read"));
  }
  fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.data()), length);
}

void op_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  const OpenFile& file = *open_file(fi);
  const Node& node = *file.node;
  if (!file.for_write || !node.writable) return (void)fuse_reply_err(req, EROFS);
  if (off < 0) return (void)fuse_reply_err(req, EINVAL);
  const auto offset = static_cast<std::uint64_t>(off);
  if (size == 0) return (void)fuse_reply_write(req, 0);
  if (offset >= node.size) return (void)fuse_reply_err(req, ENOSPC);  // like writing past a block device's end
  const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size, node.size - offset));
  try {
    fs.cache.write(node.part, node.offset + offset,
                   std::span(reinterpret_cast<const std::uint8_t*>(buf), length));
  } catch (...) {
    return (void)fuse_reply_err(req, errno_from_exception("write"));
  }
  if (may_have_holes(node)) fs.free_space->mark_used(node.offset + offset, length);  // holds data now
  // Other files showing the same bytes (user_area.img vs partitions/*.img) must not keep stale pages.
  // Without writeback caching this notification never blocks.
  for (const Alias& alias : fs.tree.aliases(node, offset, length))
    fuse_lowlevel_notify_inval_inode(fs.session, alias.node->ino, static_cast<off_t>(alias.file_offset),
                                     static_cast<off_t>(alias.length));
  fuse_reply_write(req, length);
}

int flush_file(Filesystem& fs, const Node& node, const char* op) {
  if (node.kind != Node::Kind::image) return 0;
  try {
    fs.cache.flush_range(node.part, node.offset, node.size);
    return 0;
  } catch (...) {
    return errno_from_exception(op);
  }
}

void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  const OpenFile& file = *open_file(fi);
  fuse_reply_err(req, file.for_write ? flush_file(fs_of(req), *file.node, "close") : 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  fuse_reply_err(req, flush_file(fs_of(req), *open_file(fi)->node, "fsync"));
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  OpenFile* file = open_file(fi);
  const int err = file->for_write ? flush_file(fs, *file->node, "release") : 0;
  forget_file(fs, file);
  fuse_reply_err(req, err);
}

// SEEK_DATA / SEEK_HOLE (SEEK_SET/CUR/END never reach us): the free blocks of -o skip_free are holes.
void op_lseek(fuse_req_t req, fuse_ino_t, off_t off, int whence, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  const std::shared_ptr<OpenFile> file = hold_file(fs, fi);
  if (!file) return (void)fuse_reply_err(req, EBADF);
  if (off < 0) return (void)fuse_reply_err(req, ENXIO);
  const Node& node = *file->node;
  if (node.kind != Node::Kind::image) {
    const std::uint64_t size = node.kind == Node::Kind::status ? file->status.size() : node.size;
    if (static_cast<std::uint64_t>(off) >= size) return (void)fuse_reply_err(req, ENXIO);
    return (void)fuse_reply_lseek(req, whence == SEEK_DATA ? off : static_cast<off_t>(size));
  }
  const auto result = seek_data_or_hole(*fs.free_space, node, static_cast<std::uint64_t>(off), whence);
  if (const int* error = std::get_if<int>(&result)) return (void)fuse_reply_err(req, *error);
  fuse_reply_lseek(req, static_cast<off_t>(std::get<std::uint64_t>(result)));
}

void op_fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) {
  fuse_reply_err(req, EOPNOTSUPP);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  Filesystem& fs = fs_of(req);
  struct statvfs st {};
  st.f_bsize = kMaxTransfer;
  st.f_frsize = 512;
  const Node* user = fs.tree.child(kRootIno, "user_area.img");
  st.f_blocks = user ? user->size / 512 : 0;
  st.f_files = fs.tree.node_count();
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

// The tree is fixed.
void op_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { fuse_reply_err(req, EPERM); }
void op_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { fuse_reply_err(req, EPERM); }
void op_remove(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
void op_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
void op_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  fuse_reply_err(req, EPERM);
}
void op_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { fuse_reply_err(req, EPERM); }

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.destroy = op_destroy;
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.readdir = op_readdir;
  ops.open = op_open;
  ops.read = op_read;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.fsync = op_fsync;
  ops.release = op_release;
  ops.fallocate = op_fallocate;
  ops.lseek = op_lseek;
  ops.statfs = op_statfs;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.unlink = op_remove;
  ops.rmdir = op_remove;
  ops.symlink = op_symlink;
  ops.link = op_link;
  ops.rename = op_rename;
  ops.create = op_create;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& filesystem_operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

}  // namespace mtkfs::fusefs
