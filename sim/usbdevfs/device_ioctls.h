// The usbdevfs ioctls of one enumerated device (everything but reaping, which waits on completions and
// belongs to the bus): URB submission and discard, interfaces and their driver, capabilities, speed.
// Answers as the kernel's devio.c would for this device, never by what a particular host expects.
#pragma once

#include <umockdev.h>

#include <cstdint>
#include <memory>
#include <set>

#include "sim/sim.h"
#include "sim/usbdevfs/sysfs_text.h"
#include "sim/usbdevfs/urb_engine.h"

namespace mtkfs::sim::usbdevfs {

// A libusb-visible object kept alive while the URB is in flight: the host's URB and its buffer.
struct HostUrb {
  UMockdevIoctlData* urb = nullptr;
  UMockdevIoctlData* buffer = nullptr;  // OUT and control only; IN buffers are written at reap time
  ~HostUrb() {
    if (buffer) umockdev_ioctl_data_unref(buffer);
    if (urb) umockdev_ioctl_data_unref(urb);
  }
};

// One enumeration of a device: its address, its node and the URBs submitted on it.
struct Attachment {
  UsbDeviceModel* model = nullptr;
  SysfsDevice sysfs;
  std::uint64_t enumeration = 0;
  std::unique_ptr<UrbEngine> engine;
  bool gone = false;
  bool driver_bound = true;  // cdc_acm holds both interfaces until a host detaches it
  std::set<unsigned> claimed;
};

// 0 = success, an errno, or -1 when the request was completed already (with a result of its own).
int handle_device_ioctl(UMockdevIoctlClient* client, Attachment& a, unsigned long request);

}  // namespace mtkfs::sim::usbdevfs
