// `mtkfs-sim usb`: simulated devices on an emulated USB bus that real libusb reaches through usbdevfs.
// A umockdev testbed holds the sysfs tree and the /dev/bus/usb nodes; programs started with its preload
// library (LD_PRELOAD, UMOCKDEV_DIR) see them as real devices, and their usbdevfs ioctls arrive here,
// served from GLib's default main context (whoever owns the bus runs that loop). docs/usb-emulation.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sim/sim.h"

namespace mtkfs::sim::usbdevfs {

struct PlugOptions {
  std::chrono::milliseconds plug_delay{0};         // the device appears ("add" uevent) this long after start
  std::optional<std::uint64_t> unplug_after_bytes;  // pull the cable once the host has read this many bytes
};

class EmulatedBus {
 public:
  EmulatedBus();  // throws std::runtime_error when umockdev cannot set up a testbed
  ~EmulatedBus();
  EmulatedBus(const EmulatedBus&) = delete;
  EmulatedBus& operator=(const EmulatedBus&) = delete;

  // The environment a program needs to see the bus: LD_PRELOAD and UMOCKDEV_DIR.
  std::string root_dir() const;
  // Plugs `model` into the next free port of bus 1 (1-1, 1-2, ...); it must outlive the bus.
  void add_device(UsbDeviceModel& model, PlugOptions options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtkfs::sim::usbdevfs
