// The sysfs/udev description of the emulated devices in umockdev's text format (the one umockdev-record
// writes): what libusb reads instead of asking the device (ids, speed, bus and device numbers, descriptors).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mtkfs::sim::usbdevfs {

inline constexpr int kBus = 1;

struct SysfsDevice {
  int port = 1;    // on the root hub: sysfs name 1-<port>
  int devnum = 2;  // the address; a new one for every enumeration
  std::uint16_t product_id = 0;
};

std::string root_hub_syspath();
std::string syspath(const SysfsDevice& device);  // "/sys/devices/.../usb1/1-<port>"
std::string devnode(int devnum);                 // "/dev/bus/usb/001/<devnum>"
// The /sys/bus/usb/devices links of the device and its interfaces (relative to the testbed root).
std::vector<std::string> bus_links(const SysfsDevice& device);
std::string root_hub_text();
std::string device_text(const SysfsDevice& device);  // the device and its two interfaces (cdc_acm bound)

}  // namespace mtkfs::sim::usbdevfs
