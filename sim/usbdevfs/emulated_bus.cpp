#include "sim/usbdevfs/emulated_bus.h"

#include <glib.h>
#include <linux/ioctl.h>
#include <linux/usb/ch9.h>
#include <linux/usbdevice_fs.h>
#include <spdlog/spdlog.h>
#include <umockdev.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "sim/usbdevfs/device_ioctls.h"
#include "sim/usbdevfs/descriptors.h"
#include "sim/usbdevfs/sysfs_text.h"
#include "sim/usbdevfs/urb_engine.h"
#include "transport/usb_ids.h"

namespace mtkfs::sim::usbdevfs {
namespace {

using Clock = std::chrono::steady_clock;

// umockdev serves poll() on a usbdevfs node as always ready, so libusb reaps in a loop; holding a
// REAPURBNDELAY that finds nothing this long (instead of answering EAGAIN at once) keeps that loop from
// spinning a core. No URB completes later for it: a completion answers the held reap at once.
constexpr auto kReapHold = std::chrono::milliseconds(2);
constexpr guint kTickMs = 2;  // plug events, unplug knob, expiry of held reaps

struct Port {
  int number = 0;
  UsbDeviceModel* model = nullptr;
  PlugOptions options;
  Clock::time_point plug_at;
  std::shared_ptr<Attachment> current;
};

struct HeldReap {
  UMockdevIoctlClient* client;
  std::shared_ptr<Attachment> attachment;
  std::optional<Clock::time_point> until;  // REAPURBNDELAY; REAPURB waits for good
};

}  // namespace

struct EmulatedBus::Impl {
  UMockdevTestbed* testbed = nullptr;
  UMockdevIoctlBase* handler = nullptr;
  std::vector<std::unique_ptr<Port>> ports;
  std::map<std::string, std::shared_ptr<Attachment>> by_devnode;  // gone ones too: their ioctls get ENODEV
  int next_devnum = 2;
  std::deque<HeldReap> held;
  std::atomic<bool> wake_posted{false};
  guint tick = 0;

  Impl() {
    testbed = umockdev_testbed_new();
    if (!testbed) throw std::runtime_error("umockdev: cannot create a testbed");
    handler = umockdev_ioctl_base_new();
    g_signal_connect(handler, "handle-ioctl", G_CALLBACK(&Impl::on_ioctl), this);
    GError* error = nullptr;
    if (!umockdev_testbed_add_from_string(testbed, root_hub_text().c_str(), &error)) fail("root hub", error);
    tick = g_timeout_add(kTickMs, &Impl::on_tick, this);
  }

  ~Impl() {
    g_source_remove(tick);
    for (auto& h : held) g_object_unref(h.client);
    held.clear();
    for (auto& [node, a] : by_devnode) a->engine.reset();
    g_object_unref(handler);
    g_object_unref(testbed);
  }

  [[noreturn]] static void fail(const std::string& what, GError* error) {
    const std::string text = "umockdev: " + what + ": " + (error ? error->message : "failed");
    if (error) g_error_free(error);
    throw std::runtime_error(text);
  }

  // ---- plugging

  static gboolean on_tick(gpointer self) {
    static_cast<Impl*>(self)->check_ports();
    static_cast<Impl*>(self)->serve_held();
    return G_SOURCE_CONTINUE;
  }

  void check_ports() {
    for (auto& port : ports) {
      UsbDeviceModel& model = *port->model;
      auto& current = port->current;
      if (current && port->options.unplug_after_bytes && current->engine->in_bytes() >= *port->options.unplug_after_bytes) {
        port->options.unplug_after_bytes.reset();
        model.unplug();
      }
      if (current && (!model.enumerated() || model.enumeration_count() != current->enumeration)) detach(*port);
      if (!current && model.enumerated() && Clock::now() >= port->plug_at) attach(*port);
    }
  }

  void attach(Port& port) {
    auto a = std::make_shared<Attachment>();
    a->model = port.model;
    a->enumeration = port.model->enumeration_count();
    a->sysfs = SysfsDevice{port.number, next_devnum++, port.model->product_id()};
    a->engine = std::make_unique<UrbEngine>(*port.model, a->enumeration, [this] { wake(); });
    GError* error = nullptr;
    const std::string node = devnode(a->sysfs.devnum);
    // Known and served before it exists: umockdev runs the main loop while it adds the device and
    // sends the "add" event, and a waiting host opens the node and talks to it at once.
    by_devnode[node] = a;
    port.current = a;
    if (!umockdev_testbed_attach_ioctl(testbed, node.c_str(), handler, &error)) fail("attach " + node, error);
    if (!umockdev_testbed_add_from_string(testbed, device_text(a->sysfs).c_str(), &error)) fail("add " + node, error);
    umockdev_testbed_uevent(testbed, syspath(a->sysfs).c_str(), "add");
    spdlog::info("usbdevfs: {:04x}:{:04x} on port 1-{} as {:03}:{:03} ({})", wire::kMediatekVid,
                 a->sysfs.product_id, port.number, kBus, a->sysfs.devnum, node);
  }

  void detach(Port& port) {
    auto a = std::move(port.current);
    a->gone = true;
    a->engine->fail_all(-ENODEV);
    const std::string path = syspath(a->sysfs);
    umockdev_testbed_uevent(testbed, path.c_str(), "remove");
    umockdev_testbed_remove_device(testbed, path.c_str());
    // umockdev leaves the bus links behind, and the port comes back under the same name.
    const std::string root = root_dir();
    for (const std::string& link : bus_links(a->sysfs)) ::unlink((root + "/" + link).c_str());
    spdlog::info("usbdevfs: {:03}:{:03} left the bus", kBus, a->sysfs.devnum);
  }

  std::string root_dir() const {
    gchar* dir = umockdev_testbed_get_root_dir(testbed);
    std::string text = dir;
    g_free(dir);
    return text;
  }

  // ---- completions

  void wake() {
    if (wake_posted.exchange(true)) return;
    g_idle_add(
        [](gpointer self) -> gboolean {
          auto* impl = static_cast<Impl*>(self);
          impl->wake_posted = false;
          impl->serve_held();
          return G_SOURCE_REMOVE;
        },
        this);
  }

  void serve_held() {
    const auto now = Clock::now();
    for (auto it = held.begin(); it != held.end();) {
      const bool answered = try_reap(it->client, *it->attachment) ||
                            finish_empty_reap(it->client, *it->attachment, it->until && now >= *it->until);
      if (answered) {
        g_object_unref(it->client);
        it = held.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Hands the oldest completed URB to the host, as the kernel writes it back: status, actual length, data.
  bool try_reap(UMockdevIoctlClient* client, Attachment& a) {
    auto urb = a.engine->take_completed();
    if (!urb) return false;
    auto* host = static_cast<HostUrb*>(urb->host_objects.get());
    const std::int32_t status = urb->status;
    const std::int32_t actual = static_cast<std::int32_t>(urb->actual);
    umockdev_ioctl_data_update(host->urb, offsetof(usbdevfs_urb, status), (guint8*)&status, sizeof status);
    umockdev_ioctl_data_update(host->urb, offsetof(usbdevfs_urb, actual_length), (guint8*)&actual, sizeof actual);
    write_back_data(*urb, *host);
    GError* error = nullptr;
    UMockdevIoctlData* out = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, sizeof(void*), &error);
    if (!out) {
      if (error) g_error_free(error);
      umockdev_ioctl_client_complete(client, -1, EFAULT);
      return true;
    }
    umockdev_ioctl_data_set_ptr(out, 0, host->urb);
    umockdev_ioctl_client_complete(client, 0, 0);
    umockdev_ioctl_data_unref(out);
    return true;
  }

  static void write_back_data(Urb& urb, HostUrb& host) {
    if (urb.actual == 0) return;
    if (urb.type == USBDEVFS_URB_TYPE_CONTROL) {
      if ((urb.data[0] & 0x80) && host.buffer)
        umockdev_ioctl_data_update(host.buffer, 8, urb.data.data() + 8, static_cast<gint>(urb.actual));
      return;
    }
    if (!(urb.endpoint & 0x80)) return;
    GError* error = nullptr;
    // Resolved only now and only for what arrived: loading the whole buffer at submit would copy it twice.
    UMockdevIoctlData* buffer =
        umockdev_ioctl_data_resolve(host.urb, offsetof(usbdevfs_urb, buffer), urb.actual, &error);
    if (!buffer) {
      if (error) g_error_free(error);
      return;
    }
    umockdev_ioctl_data_update(buffer, 0, urb.data.data(), static_cast<gint>(urb.actual));
    host.buffer = buffer;
  }

  // Nothing to reap: EAGAIN once the hold ran out, ENODEV from a device that left with nothing in flight.
  static bool finish_empty_reap(UMockdevIoctlClient* client, Attachment& a, bool expired) {
    if (a.gone && !a.engine->in_flight()) {
      umockdev_ioctl_client_complete(client, -1, ENODEV);
      return true;
    }
    if (!expired) return false;
    umockdev_ioctl_client_complete(client, -1, EAGAIN);
    return true;
  }

  // ---- ioctls

  static gboolean on_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
    return static_cast<Impl*>(self)->handle(client);
  }

  gboolean handle(UMockdevIoctlClient* client) {
    const auto found = by_devnode.find(umockdev_ioctl_client_get_devnode(client));
    if (found == by_devnode.end()) {
      spdlog::debug("usbdevfs: ioctl on unknown node {}", umockdev_ioctl_client_get_devnode(client));
      return FALSE;
    }
    Attachment& a = *found->second;
    const gulong request = umockdev_ioctl_client_get_request(client);
    if (request == USBDEVFS_REAPURB || request == USBDEVFS_REAPURBNDELAY) {
      if (!try_reap(client, a) && !finish_empty_reap(client, a, false)) {
        std::optional<Clock::time_point> until;
        if (request == USBDEVFS_REAPURBNDELAY) until = Clock::now() + kReapHold;
        held.push_back({static_cast<UMockdevIoctlClient*>(g_object_ref(client)), found->second, until});
      }
      return TRUE;
    }
    if (a.gone) {
      umockdev_ioctl_client_complete(client, -1, ENODEV);
      return TRUE;
    }
    const int error = handle_device_ioctl(client, a, request);
    if (error > 0) spdlog::debug("usbdevfs: ioctl {:#x} on {}: {}", request, found->first, std::strerror(error));
    if (error >= 0) umockdev_ioctl_client_complete(client, error == 0 ? 0 : -1, error);
    return TRUE;
  }
};

EmulatedBus::EmulatedBus() : impl_(std::make_unique<Impl>()) {}
EmulatedBus::~EmulatedBus() = default;

std::string EmulatedBus::root_dir() const { return impl_->root_dir(); }

void EmulatedBus::add_device(UsbDeviceModel& model, PlugOptions options) {
  auto port = std::make_unique<Port>();
  port->number = static_cast<int>(impl_->ports.size()) + 1;
  port->model = &model;
  port->options = options;
  port->plug_at = Clock::now() + options.plug_delay;
  impl_->ports.push_back(std::move(port));
  impl_->check_ports();
}

}  // namespace mtkfs::sim::usbdevfs
