#include "sim/usbdevfs/device_ioctls.h"

#include <linux/ioctl.h>
#include <linux/usb/ch9.h>
#include <linux/usbdevice_fs.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "sim/usbdevfs/control.h"
#include "sim/usbdevfs/descriptors.h"

namespace mtkfs::sim::usbdevfs {
namespace {

template <class T>
struct Arg {
  UMockdevIoctlData* data = nullptr;
  Arg(UMockdevIoctlClient* client, std::size_t size = sizeof(T)) {
    data = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, size, nullptr);
  }
  ~Arg() {
    if (data) umockdev_ioctl_data_unref(data);
  }
  explicit operator bool() const { return data != nullptr; }
  T get() const {
    T value{};
    std::memcpy(&value, data->data, std::min<std::size_t>(sizeof value, static_cast<std::size_t>(data->data_len)));
    return value;
  }
  void set(const T& value) { umockdev_ioctl_data_update(data, 0, (guint8*)&value, sizeof value); }
};

// Interfaces: who holds them (cdc_acm, or this host after CLAIMINTERFACE), as the kernel keeps it.
int driver_request(UMockdevIoctlClient* client, Attachment& a, gulong request) {
  switch (request) {
    case USBDEVFS_CLAIMINTERFACE: {
      Arg<unsigned> number(client);
      if (!number || number.get() > kControlInterface) return EINVAL;
      if (a.driver_bound) return EBUSY;
      a.claimed.insert(number.get());
      return 0;
    }
    case USBDEVFS_RELEASEINTERFACE: {
      Arg<unsigned> number(client);
      if (!number || a.claimed.erase(number.get()) == 0) return EINVAL;
      if (number.get() == kDataInterface) a.model->host_close();
      return 0;
    }
    case USBDEVFS_GETDRIVER: {
      Arg<usbdevfs_getdriver> query(client);
      if (!query) return EFAULT;
      usbdevfs_getdriver answer = query.get();
      if (answer.interface > kControlInterface) return EINVAL;
      if (!a.driver_bound) return ENODATA;
      std::strncpy(answer.driver, "cdc_acm", sizeof answer.driver);
      query.set(answer);
      return 0;
    }
    case USBDEVFS_IOCTL: {
      Arg<usbdevfs_ioctl> command(client);
      if (!command) return EFAULT;
      const usbdevfs_ioctl c = command.get();
      if (c.ioctl_code == USBDEVFS_DISCONNECT) {
        if (!a.driver_bound) return ENODATA;
        a.driver_bound = false;  // cdc_acm lets go of both interfaces together
        return 0;
      }
      if (c.ioctl_code == USBDEVFS_CONNECT) {
        if (a.claimed.empty()) a.driver_bound = true;
        return 0;
      }
      return ENOTTY;
    }
    case USBDEVFS_DISCONNECT_CLAIM: {
      Arg<usbdevfs_disconnect_claim> claim(client);
      if (!claim || claim.get().interface > kControlInterface) return EINVAL;
      a.driver_bound = false;
      a.claimed.insert(claim.get().interface);
      return 0;
    }
    default:
      spdlog::debug("usbdevfs: ioctl {:#x} not emulated: ENOTTY", request);
      return ENOTTY;
  }
}

int submit(UMockdevIoctlClient* client, Attachment& a) {
  auto host = std::make_shared<HostUrb>();
  host->urb = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, sizeof(usbdevfs_urb), nullptr);
  if (!host->urb) return EFAULT;
  usbdevfs_urb k{};
  std::memcpy(&k, host->urb->data, sizeof k);
  if (k.buffer_length < 0) return EINVAL;
  auto urb = std::make_shared<Urb>();
  urb->client_addr = host->urb->client_addr;
  urb->type = k.type;
  urb->endpoint = k.endpoint;
  const auto length = static_cast<std::size_t>(k.buffer_length);
  const bool control = k.type == USBDEVFS_URB_TYPE_CONTROL;
  if (!control && !(k.endpoint & 0x80) && length > 0) {
    host->buffer = umockdev_ioctl_data_resolve(host->urb, offsetof(usbdevfs_urb, buffer), length, nullptr);
    if (!host->buffer) return EFAULT;
    urb->data.assign(host->buffer->data, host->buffer->data + length);
  } else if (control) {
    if (length < 8) return EINVAL;
    host->buffer = umockdev_ioctl_data_resolve(host->urb, offsetof(usbdevfs_urb, buffer), length, nullptr);
    if (!host->buffer) return EFAULT;
    urb->data.assign(host->buffer->data, host->buffer->data + length);
  } else {
    urb->data.resize(length);
  }
  urb->host_objects = host;
  if (control) {
    serve_control(*urb, *a.model, a.enumeration, a.sysfs.product_id);
    a.engine->finish(std::move(urb));
    return 0;
  }
  // Like the kernel, a bulk URB on an unclaimed interface claims it, unless a driver holds it.
  if (!a.claimed.count(kDataInterface)) {
    if (a.driver_bound) return EBUSY;
    a.claimed.insert(kDataInterface);
  }
  a.engine->submit(std::move(urb));
  return 0;
}

}  // namespace

int handle_device_ioctl(UMockdevIoctlClient* client, Attachment& a, gulong request) {
  switch (request) {
    case USBDEVFS_SUBMITURB: return submit(client, a);
    case USBDEVFS_DISCARDURB: {
      const auto addr = static_cast<std::uint64_t>(*reinterpret_cast<gulong*>(umockdev_ioctl_client_get_arg(client)->data));
      return a.engine->discard(addr) ? 0 : EINVAL;
    }
    case USBDEVFS_GET_CAPABILITIES: {
      Arg<std::uint32_t> caps(client);
      if (!caps) return EFAULT;
      caps.set(USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
               USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_REAP_AFTER_DISCONNECT);
      return 0;
    }
    case USBDEVFS_GET_SPEED:
      umockdev_ioctl_client_complete(client, USB_SPEED_HIGH, 0);
      return -1;
    case USBDEVFS_CONNECTINFO: {
      Arg<usbdevfs_connectinfo> info(client);
      if (!info) return EFAULT;
      info.set({static_cast<unsigned>(a.sysfs.devnum), 0});
      return 0;
    }
    case USBDEVFS_SETCONFIGURATION: {
      Arg<int> config(client);
      return config && (config.get() == 1 || config.get() == -1) ? 0 : EINVAL;
    }
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
    case USBDEVFS_RESET: return 0;
    default: return driver_request(client, a, request);
  }
}

}  // namespace mtkfs::sim::usbdevfs
