// Real hardware: find, wait for and open a MediaTek download-mode device with libusb.
// All buffering logic lives in PacketStreamTransport; all choosing logic in usb_discovery.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/packet_stream_transport.h"
#include "transport/usb_discovery.h"
#include "transport/wire_trace.h"

namespace mtkfs::transport {

struct UsbOptions {
  std::string selector;  // "BUS:ADDR" or empty for "the only MediaTek device"
  int wait_seconds = 0;  // 0 = wait forever
  NoticeFn notice;       // plug-in hints and the device found
  std::shared_ptr<WireTrace> trace = nullptr;  // every bulk transfer recorded here (null: none)
};

// MediaTek devices (docs/protocol/usb.md §1) present right now.
std::vector<usb::Candidate> list_usb_devices();

// Blocks until a matching device is present (hotplug events where libusb supports them, else
// polling every 250 ms). Gives the plug-in hints once. Throws TimeoutError after
// wait_seconds, TransportError when several devices match.
usb::Candidate wait_for_device(const UsbOptions& options);

// wait_for_device, then open it: pick the bulk interface from the descriptors, detach cdc_acm,
// claim, send SET_LINE_CODING / SET_CONTROL_LINE_STATE (docs/protocol/usb.md §4.2). The kernel
// driver is re-attached when the transport is destroyed.
std::unique_ptr<PacketStreamTransport> open_usb_transport(const UsbOptions& options);

}  // namespace mtkfs::transport
