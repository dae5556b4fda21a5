#include "transport/usb_transport.h"

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <array>
#include <cstdio>
#include <thread>

#include "transport/libusb_endpoint.h"
#include "transport/traced_transport.h"
#include "transport/wait_limit.h"

namespace mtkfs::transport {

namespace {

using usb::Candidate;
using usb::ClaimedDevice;
using usb::LibusbContext;

constexpr Millis kPollInterval{250};

std::string port_path(libusb_device* dev) {
  std::array<std::uint8_t, 8> ports{};
  const int n = libusb_get_port_numbers(dev, ports.data(), static_cast<int>(ports.size()));
  if (n <= 0) return {};
  std::string path = std::to_string(libusb_get_bus_number(dev)) + "-";
  for (int i = 0; i < n; ++i) {
    if (i) path += ".";
    path += std::to_string(ports[static_cast<std::size_t>(i)]);
  }
  return path;
}

// The device list with one reference per device, released on destruction.
class DeviceList {
 public:
  explicit DeviceList(libusb_context* ctx) {
    const ssize_t n = libusb_get_device_list(ctx, &list_);
    if (n < 0) {
      throw TransportError(std::string("cannot list USB devices: ") +
                           libusb_error_name(static_cast<int>(n)));
    }
    count_ = static_cast<std::size_t>(n);
  }
  ~DeviceList() { libusb_free_device_list(list_, 1); }
  DeviceList(const DeviceList&) = delete;
  DeviceList& operator=(const DeviceList&) = delete;

  std::vector<std::pair<Candidate, libusb_device*>> mediatek() const {
    std::vector<std::pair<Candidate, libusb_device*>> found;
    for (std::size_t i = 0; i < count_; ++i) {
      libusb_device_descriptor desc{};
      if (libusb_get_device_descriptor(list_[i], &desc) != LIBUSB_SUCCESS) continue;
      if (!usb::classify(desc.idVendor, desc.idProduct)) continue;
      Candidate c;
      c.bus = libusb_get_bus_number(list_[i]);
      c.address = libusb_get_device_address(list_[i]);
      c.port_path = port_path(list_[i]);
      c.vid = desc.idVendor;
      c.pid = desc.idProduct;
      found.emplace_back(c, list_[i]);
    }
    return found;
  }

 private:
  libusb_device** list_ = nullptr;
  std::size_t count_ = 0;
};

std::vector<Candidate> candidates_of(const DeviceList& list) {
  std::vector<Candidate> out;
  for (const auto& [c, dev] : list.mediatek()) out.push_back(c);
  return out;
}

// Deregisters on destruction; inactive where the platform has no hotplug support.
class HotplugWatch {
 public:
  explicit HotplugWatch(libusb_context* ctx) : ctx_(ctx) {
    if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) return;
    const int rc = libusb_hotplug_register_callback(
        ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, 0, wire::kMediatekVid, LIBUSB_HOTPLUG_MATCH_ANY,
        LIBUSB_HOTPLUG_MATCH_ANY, &HotplugWatch::on_arrival, this, &handle_);
    active_ = rc == LIBUSB_SUCCESS;
    if (!active_) spdlog::debug("hotplug registration failed: {}", libusb_error_name(rc));
  }
  ~HotplugWatch() {
    if (active_) libusb_hotplug_deregister_callback(ctx_, handle_);
  }
  HotplugWatch(const HotplugWatch&) = delete;
  HotplugWatch& operator=(const HotplugWatch&) = delete;

  // Sleeps until a MediaTek device arrives or `limit` passes.
  void wait(Millis limit) {
    if (!active_) {
      std::this_thread::sleep_for(limit);
      return;
    }
    arrived_ = 0;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
    const int rc = libusb_handle_events_timeout_completed(ctx_, &tv, &arrived_);
    // Never spin: if event handling itself fails, fall back to plain polling for this step.
    if (rc != LIBUSB_SUCCESS && rc != LIBUSB_ERROR_INTERRUPTED) std::this_thread::sleep_for(limit);
  }

 private:
  static int LIBUSB_CALL on_arrival(libusb_context*, libusb_device*, libusb_hotplug_event,
                                    void* self) {
    static_cast<HotplugWatch*>(self)->arrived_ = 1;
    return 0;  // stay registered
  }

  libusb_context* ctx_;
  libusb_hotplug_callback_handle handle_{};
  bool active_ = false;
  int arrived_ = 0;
};

// The wait loop shared by wait_for_device() and open_usb_transport(); returns a referenced device.
libusb_device* wait_in(libusb_context* ctx, const UsbOptions& options,
                       const std::optional<usb::BusAddress>& selector, Candidate& chosen) {
  const WaitLimit limit = WaitLimit::from_seconds(options.wait_seconds);
  HotplugWatch hotplug(ctx);
  bool hinted = false;
  for (;;) {
    {
      DeviceList list(ctx);
      if (auto pick = usb::select_candidate(candidates_of(list), selector)) {
        for (const auto& [c, dev] : list.mediatek()) {
          if (c.bus == pick->bus && c.address == pick->address) {
            chosen = c;
            return libusb_ref_device(dev);
          }
        }
      }
    }
    if (limit.expired()) {
      throw TimeoutError("no MediaTek device in download mode appeared within " +
                         std::to_string(options.wait_seconds) + " s" +
                         (selector ? " at " + options.selector : std::string()));
    }
    if (options.notice && !hinted) options.notice(usb::plug_in_hint());
    hinted = true;
    hotplug.wait(limit.step(kPollInterval));
  }
}

std::vector<usb::InterfaceInfo> describe_interfaces(const libusb_config_descriptor& config) {
  std::vector<usb::InterfaceInfo> out;
  for (int i = 0; i < config.bNumInterfaces; ++i) {
    const libusb_interface& intf = config.interface[i];
    for (int a = 0; a < intf.num_altsetting; ++a) {
      const libusb_interface_descriptor& alt = intf.altsetting[a];
      usb::InterfaceInfo info;
      info.number = alt.bInterfaceNumber;
      info.alt_setting = alt.bAlternateSetting;
      info.interface_class = alt.bInterfaceClass;
      info.interface_subclass = alt.bInterfaceSubClass;
      info.interface_protocol = alt.bInterfaceProtocol;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& ep = alt.endpoint[e];
        info.endpoints.push_back({ep.bEndpointAddress,
                                  static_cast<usb::TransferType>(ep.bmAttributes & 0x03),
                                  ep.wMaxPacketSize});
      }
      out.push_back(std::move(info));
    }
  }
  return out;
}

std::string open_error(const Candidate& c, int rc) {
  std::string text = "cannot open " + usb::describe_candidate(c) + ": " + libusb_error_name(rc);
  if (rc == LIBUSB_ERROR_ACCESS) {
    text += ". Run as root, or install mtkfs's udev rule (52-mtkfs.rules, which gives the logged-in "
            "user access to MediaTek download ports: TAG+=\"uaccess\") and plug the device in again";
  } else if (rc == LIBUSB_ERROR_BUSY) {
    text += ". Another program (mtkclient, ModemManager, a second mtkfs) is using the device";
  }
  return text;
}

void detach_kernel_driver(ClaimedDevice& device, int intf) {
  if (libusb_kernel_driver_active(device.handle, intf) != 1) return;
  const int rc = libusb_detach_kernel_driver(device.handle, intf);
  if (rc == LIBUSB_SUCCESS) {
    device.detached_interfaces.push_back(intf);
  } else if (rc != LIBUSB_ERROR_NOT_FOUND) {
    spdlog::debug("detaching kernel driver from interface {}: {}", intf, libusb_error_name(rc));
  }
}

// docs/protocol/usb.md §4.2, mtkclient's variant: SET_LINE_CODING 921600 8N1 with its 7-byte data
// stage, then RTS only. The line coding is what makes a Preloader start sending READY. Failures are not
// fatal (no host treats them as such) but are worth a debug line.
void send_cdc_setup(libusb_device_handle* handle, int intf) {
  std::array<std::uint8_t, 7> coding{0x00, 0x10, 0x0e, 0x00, 0x00, 0x00, 0x08};
  const auto index = static_cast<std::uint16_t>(intf);
  int rc = libusb_control_transfer(handle, wire::kCdcRequestTypeOut, wire::kCdcSetLineCoding, 0, index, coding.data(),
                                   static_cast<std::uint16_t>(coding.size()), 1000);
  if (rc < 0) spdlog::debug("SET_LINE_CODING: {}", libusb_error_name(rc));
  rc = libusb_control_transfer(handle, wire::kCdcRequestTypeOut, wire::kCdcSetControlLineState, 0x0002, index,
                               nullptr, 0, 1000);
  if (rc < 0) spdlog::debug("SET_CONTROL_LINE_STATE: {}", libusb_error_name(rc));
}

std::unique_ptr<ClaimedDevice> claim(std::shared_ptr<LibusbContext> context, libusb_device* dev,
                                     const Candidate& c) {
  auto device = std::make_unique<ClaimedDevice>();
  device->context = std::move(context);
  // A device that has just arrived may not have its udev permissions yet: retry briefly.
  int rc = LIBUSB_ERROR_OTHER;
  for (int attempt = 0; attempt < 8; ++attempt) {
    rc = libusb_open(dev, &device->handle);
    if (rc == LIBUSB_SUCCESS || rc == LIBUSB_ERROR_NO_DEVICE) break;
    std::this_thread::sleep_for(Millis{250});
  }
  if (rc == LIBUSB_ERROR_NO_DEVICE) throw DisconnectedError(usb::describe_candidate(c) + " vanished");
  if (rc != LIBUSB_SUCCESS) throw TransportError(open_error(c, rc));

  libusb_config_descriptor* config = nullptr;
  rc = libusb_get_active_config_descriptor(libusb_get_device(device->handle), &config);
  if (rc != LIBUSB_SUCCESS) {
    throw TransportError("cannot read the configuration of " + usb::describe_candidate(c) + ": " +
                         libusb_error_name(rc));
  }
  std::vector<usb::InterfaceInfo> interfaces = describe_interfaces(*config);
  libusb_free_config_descriptor(config);
  const usb::BulkInterfaceChoice choice = usb::choose_bulk_interface(interfaces);

  if (choice.control_interface) detach_kernel_driver(*device, *choice.control_interface);
  detach_kernel_driver(*device, choice.data_interface);
  rc = libusb_claim_interface(device->handle, choice.data_interface);
  if (rc == LIBUSB_ERROR_NO_DEVICE) throw DisconnectedError(usb::describe_candidate(c) + " vanished");
  if (rc != LIBUSB_SUCCESS) throw TransportError(open_error(c, rc));
  device->data_interface = choice.data_interface;
  if (choice.alt_setting != 0) {
    rc = libusb_set_interface_alt_setting(device->handle, choice.data_interface,
                                          choice.alt_setting);
    if (rc != LIBUSB_SUCCESS) throw TransportError(open_error(c, rc));
  }
  device->endpoint_in = choice.endpoint_in;
  device->endpoint_out = choice.endpoint_out;
  device->max_packet_size = choice.max_packet_size;
  // mtkclient addresses the class requests to interface 0, which is this device's data
  // interface; the Preloader ignores wIndex, and usbfs accepts it because we hold that interface.
  send_cdc_setup(device->handle, choice.data_interface);
  spdlog::debug("claimed interface {} (IN 0x{:02x}, OUT 0x{:02x}, wMaxPacketSize {})",
                choice.data_interface, choice.endpoint_in, choice.endpoint_out,
                choice.max_packet_size);
  return device;
}

}  // namespace

std::vector<usb::Candidate> list_usb_devices() {
  LibusbContext context;
  return candidates_of(DeviceList(context.get()));
}

usb::Candidate wait_for_device(const UsbOptions& options) {
  const auto selector = usb::parse_selector(options.selector);  // bad input fails before waiting
  LibusbContext context;
  Candidate chosen;
  libusb_unref_device(wait_in(context.get(), options, selector, chosen));
  return chosen;
}

std::unique_ptr<PacketStreamTransport> open_usb_transport(const UsbOptions& options) {
  const auto selector = usb::parse_selector(options.selector);  // bad input fails before waiting
  auto context = std::make_shared<LibusbContext>();
  Candidate chosen;
  libusb_device* dev = wait_in(context->get(), options, selector, chosen);
  std::unique_ptr<ClaimedDevice> device;
  try {
    device = claim(context, dev, chosen);
  } catch (...) {
    libusb_unref_device(dev);
    throw;
  }
  libusb_unref_device(dev);

  const BootStage stage = usb::classify(chosen.vid, chosen.pid).value_or(BootStage::unknown);
  const std::string description = usb::describe_candidate(chosen);
  if (options.notice) options.notice("Found " + description);
  std::unique_ptr<BulkEndpoint> endpoint = std::make_unique<usb::LibusbBulkEndpoint>(std::move(device));
  if (options.trace) endpoint = std::make_unique<TracedBulkEndpoint>(std::move(endpoint), options.trace);
  return std::make_unique<PacketStreamTransport>(std::move(endpoint), description, stage);
}

}  // namespace mtkfs::transport
