// Mount mode of the mtkfs program. Order of events (why: fuse/THREADS.md, app/background.h):
//   check the mountpoint, load the DA file          (errors: one line on stderr, exit 1)
//   fork unless -f; the parent waits for the child's verdict
//   connect the device, start the Cache (device I/O thread), read the partition table through it,
//   mount; in the background: report "ok", detach, log to syslog or --log-file
//   serve until unmounted (umount, fusermount3 -u, or SIGINT/SIGTERM/SIGHUP)
//   write everything back, log the cache statistics, end the DA session as --end says;
//   with --stats-file, write the session's figures as JSON (app/stats_file.h).
#pragma once

#include "da/device.h"
#include "app/cli_options.h"
#include "app/mount_options.h"

namespace mtkfs::cli {

// Returns the process exit status: 0 after a clean unmount (or, in the background parent, once the
// child is mounted); 1 if anything failed before the mount, if written data could not be flushed
// to the device, or if the session could not be ended as asked. Failures before the mount are
// thrown (std::exception with the message for the user).
int run_mount(const MountPlan& plan, const ConnectionOptions& connection, da::EndMode end);

}  // namespace mtkfs::cli
