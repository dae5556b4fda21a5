#include "sim/usbdevfs/usb_command.h"

#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <memory>
#include <stdexcept>

namespace mtkfs::sim::usbdevfs {
namespace {

struct Child {
  GPid pid = 0;
  int status = 0;
  bool exited = false;
  GMainLoop* loop = nullptr;
};

constexpr const char* kPreload = "libumockdev-preload.so.0";

// The environment with the preload library first in LD_PRELOAD. An ASan build insists on its runtime
// coming first, which a preload list cannot give it (and it checks nothing else by that), so its
// link-order check is turned off.
std::vector<std::string> preload_environment(const std::string& umockdev_dir) {
  std::vector<std::string> env;
  std::string preload = kPreload;
  std::string asan = "verify_asan_link_order=0";
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (entry.rfind("LD_PRELOAD=", 0) == 0) {
      if (entry.find(kPreload) == std::string::npos) preload += " " + entry.substr(11);
      else preload = entry.substr(11);
    } else if (entry.rfind("ASAN_OPTIONS=", 0) == 0) {
      if (entry.find(asan) == std::string::npos) asan = entry.substr(13) + ":" + asan;
      else asan = entry.substr(13);
    } else if (entry.rfind("UMOCKDEV_DIR=", 0) != 0) {
      env.push_back(entry);
    }
  }
  env.push_back("LD_PRELOAD=" + preload);
  env.push_back("ASAN_OPTIONS=" + asan);
  if (!umockdev_dir.empty()) env.push_back("UMOCKDEV_DIR=" + umockdev_dir);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

gboolean forward_signal(gpointer data) {
  auto* child = static_cast<Child*>(data);
  if (!child->exited) ::kill(child->pid, SIGTERM);
  return G_SOURCE_CONTINUE;
}

}  // namespace

void run_under_preload(char** argv) {
  const char* preloaded = std::getenv("LD_PRELOAD");
  if (preloaded && std::strstr(preloaded, kPreload)) return;
  std::vector<std::string> env_strings = preload_environment("");
  auto envp = pointers(env_strings);
  ::execve("/proc/self/exe", argv, envp.data());
  throw std::runtime_error(std::string("cannot re-run mtkfs-sim under ") + kPreload + ": " + std::strerror(errno));
}

int run_usb_command(const UsbCommand& usb) {
  if (usb.command.empty()) throw std::invalid_argument("usb: give the command to run after --");
  std::vector<std::unique_ptr<UsbDeviceModel>> models;
  for (const SimConfig& config : usb.devices) models.push_back(std::make_unique<UsbDeviceModel>(config));
  EmulatedBus bus;
  for (std::size_t i = 0; i < models.size(); ++i) bus.add_device(*models[i], i == 0 ? usb.plug : PlugOptions{});

  std::vector<std::string> argv_strings = usb.command;
  std::vector<std::string> env_strings = preload_environment(bus.root_dir());
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  Child child;
  GError* error = nullptr;
  const auto flags = static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                              G_SPAWN_CHILD_INHERITS_STDIN);
  if (!g_spawn_async(nullptr, argv.data(), envp.data(), flags, nullptr, nullptr, &child.pid, &error)) {
    const std::string why = error ? error->message : "failed";
    if (error) g_error_free(error);
    throw std::runtime_error("cannot start " + usb.command.front() + ": " + why);
  }
  spdlog::info("usb: started {} (pid {}) with UMOCKDEV_DIR={}", usb.command.front(), child.pid, bus.root_dir());
  child.loop = g_main_loop_new(nullptr, FALSE);
  g_child_watch_add(
      child.pid,
      [](GPid, gint status, gpointer data) {
        auto* c = static_cast<Child*>(data);
        c->status = status;
        c->exited = true;
        g_main_loop_quit(c->loop);
      },
      &child);
  const guint on_int = g_unix_signal_add(SIGINT, forward_signal, &child);
  const guint on_term = g_unix_signal_add(SIGTERM, forward_signal, &child);
  g_main_loop_run(child.loop);
  g_source_remove(on_int);
  g_source_remove(on_term);
  g_main_loop_unref(child.loop);
  g_spawn_close_pid(child.pid);
  if (WIFSIGNALED(child.status)) return 128 + WTERMSIG(child.status);
  return WIFEXITED(child.status) ? WEXITSTATUS(child.status) : 1;
}

}  // namespace mtkfs::sim::usbdevfs
