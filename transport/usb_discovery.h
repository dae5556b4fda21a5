// Everything about finding and choosing a MediaTek USB device that does not need libusb:
// product-id classification, interface choice from descriptors, BUS:ADDR selection, user hints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/transport.h"
#include "transport/usb_ids.h"

namespace mtkfs::transport::usb {


// docs/protocol/usb.md §1. nullopt for devices mtkfs does not talk to.
std::optional<BootStage> classify(std::uint16_t vid, std::uint16_t pid);
const char* stage_name(BootStage stage);  // "BROM", "Preloader", "DA", "unknown"

// ---- Descriptors, as plain data (filled from libusb in usb_device.cpp, by hand in tests).
inline constexpr std::uint8_t kClassComm = 0x02;
inline constexpr std::uint8_t kClassCdcData = 0x0a;

enum class TransferType : std::uint8_t { control = 0, isochronous = 1, bulk = 2, interrupt = 3 };

struct EndpointInfo {
  std::uint8_t address = 0;  // bit 7 set = IN
  TransferType type = TransferType::bulk;
  std::uint16_t max_packet_size = 0;  // wMaxPacketSize as found in the descriptor
  bool is_in() const { return (address & 0x80) != 0; }
};

struct InterfaceInfo {
  std::uint8_t number = 0;
  std::uint8_t alt_setting = 0;
  std::uint8_t interface_class = 0;
  std::uint8_t interface_subclass = 0;
  std::uint8_t interface_protocol = 0;
  std::vector<EndpointInfo> endpoints;
};

struct BulkInterfaceChoice {
  std::uint8_t data_interface = 0;
  std::uint8_t alt_setting = 0;
  std::uint8_t endpoint_in = 0;
  std::uint8_t endpoint_out = 0;
  std::uint16_t max_packet_size = 0;  // of the IN endpoint: IN buffers must be multiples of it
  std::optional<std::uint8_t> control_interface;  // the CDC communication interface, if any
};

// Prefers a CDC Data interface (class 0x0A) with exactly one bulk IN and one bulk OUT; falls back
// to any interface with exactly that pair. Throws TransportError describing what was found.
BulkInterfaceChoice choose_bulk_interface(const std::vector<InterfaceInfo>& interfaces);

// ---- Picking one device among several.
struct Candidate {
  std::uint8_t bus = 0;
  std::uint8_t address = 0;
  std::string port_path;  // "1-4.2", empty when unknown
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
};

struct BusAddress {
  int bus = 0;
  int address = 0;
};

// "BUS:ADDR" in decimal as lsusb prints it ("001:005" or "1:5"). Empty -> nullopt (any device).
// Throws TransportError on anything else.
std::optional<BusAddress> parse_selector(std::string_view text);

// The device to use, or nullopt when none (matching) is present yet.
// Throws TransportError listing the candidates when several match and no selector narrows it down.
std::optional<Candidate> select_candidate(const std::vector<Candidate>& present,
                                          const std::optional<BusAddress>& selector);

std::string describe_candidate(const Candidate& c);  // "usb 1-4 bus 1 addr 5 (0e8d:2000 Preloader)"

// Printed once while waiting for a device to show up.
std::string plug_in_hint();

}  // namespace mtkfs::transport::usb
