#include "sim/usbdevfs/sysfs_text.h"

#include <cstdio>
#include <vector>

#include "sim/usbdevfs/descriptors.h"
#include "transport/usb_ids.h"

namespace mtkfs::sim::usbdevfs {
namespace {

constexpr const char* kHostController = "/devices/pci0000:00/0000:00:14.0";

std::string format(const char* pattern, auto... args) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, args...);
  return text;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  for (std::uint8_t b : bytes) out += format("%02x", b);
  return out;
}

std::string usb_device_lines(const std::string& path, int devnum, std::uint16_t vid, std::uint16_t pid) {
  return "P: " + path + "\n" + format("N: bus/usb/%03d/%03d\n", kBus, devnum) +
         "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n" +
         format("E: BUSNUM=%03d\nE: DEVNUM=%03d\nE: DEVNAME=/dev/bus/usb/%03d/%03d\n", kBus, devnum, kBus, devnum) +
         format("E: PRODUCT=%x/%x/100\nE: ID_VENDOR_ID=%04x\nE: ID_MODEL_ID=%04x\n", vid, pid, vid, pid) +
         format("A: busnum=%d\\n\nA: devnum=%d\\n\nA: idVendor=%04x\\n\nA: idProduct=%04x\\n\n", kBus, devnum, vid, pid) +
         "A: speed=480\\n\nA: bConfigurationValue=1\\n\nA: bMaxPower=500mA\\n\n";
}

std::string interface_lines(const std::string& device_path, int port, int number, int interface_class) {
  return format("P: %s/1-%d:1.%d\n", device_path.c_str(), port, number) +
         "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n" +
         format("A: bInterfaceNumber=%02x\\n\nA: bInterfaceClass=%02x\\n\n", number, interface_class);
}

std::string device_path(int port) { return format("%s/usb%d/%d-%d", kHostController, kBus, kBus, port); }

}  // namespace

std::string root_hub_syspath() { return format("/sys%s/usb%d", kHostController, kBus); }
std::string syspath(const SysfsDevice& device) { return "/sys" + device_path(device.port); }
std::string devnode(int devnum) { return format("/dev/bus/usb/%03d/%03d", kBus, devnum); }

std::vector<std::string> bus_links(const SysfsDevice& device) {
  std::vector<std::string> links;
  for (const char* suffix : {"", ":1.0", ":1.1"})
    links.push_back(format("sys/bus/usb/devices/%d-%d%s", kBus, device.port, suffix));
  return links;
}

std::string root_hub_text() {
  // A USB 2.0 root hub (1d6b:0002) with one interface and its status endpoint, as the kernel shows it.
  const std::vector<std::uint8_t> descriptors = {
      18, 1, 0x00, 0x02, 9, 0, 1, 64, 0x6b, 0x1d, 0x02, 0x00, 0x01, 0x06, 3, 2, 1, 1,
      9, 2, 25, 0, 1, 1, 0, 0xE0, 0,
      9, 4, 0, 0, 1, 9, 0, 0, 0,
      7, 5, 0x81, 3, 4, 0, 12};
  return usb_device_lines(format("%s/usb%d", kHostController, kBus), 1, 0x1d6b, 0x0002) +
         "A: maxchild=4\\n\nA: manufacturer=Linux xhci-hcd\\n\nA: product=xHCI Host Controller\\n\n" +
         "H: descriptors=" + hex(descriptors) + "\n";
}

std::string device_text(const SysfsDevice& device) {
  std::vector<std::uint8_t> descriptors = device_descriptor(device.product_id);
  const std::vector<std::uint8_t> config = configuration_descriptor();
  descriptors.insert(descriptors.end(), config.begin(), config.end());
  const std::string path = device_path(device.port);
  const StringTable strings;
  return usb_device_lines(path, device.devnum, wire::kMediatekVid, device.product_id) +
         format("A: devpath=%d\\n\nA: maxchild=0\\n\nA: bNumInterfaces= 2\\n\nA: bDeviceClass=02\\n\n", device.port) +
         "A: manufacturer=" + strings.manufacturer + "\\n\nA: product=" + strings.product + "\\n\n" +
         "H: descriptors=" + hex(descriptors) + "\n\n" +
         interface_lines(path, device.port, kDataInterface, 0x0a) + "\n" +
         interface_lines(path, device.port, kControlInterface, 0x02);
}

}  // namespace mtkfs::sim::usbdevfs
