#include "transport/usb_discovery.h"

#include <charconv>
#include <cstdio>

namespace mtkfs::transport::usb {

std::optional<BootStage> classify(std::uint16_t vid, std::uint16_t pid) {
  if (vid != wire::kMediatekVid) return std::nullopt;
  switch (pid) {
    case wire::kPidBrom: return BootStage::brom;
    case wire::kPidPreloader:
    case wire::kPidPreloaderAlt20ff:
    case wire::kPidPreloaderAlt3000:
    case wire::kPidPreloaderAlt6000: return BootStage::preloader;
    case wire::kPidDa: return BootStage::da;
    default: return std::nullopt;
  }
}

const char* stage_name(BootStage stage) {
  switch (stage) {
    case BootStage::brom: return "BROM";
    case BootStage::preloader: return "Preloader";
    case BootStage::da: return "DA";
    case BootStage::unknown: break;
  }
  return "unknown";
}

namespace {

struct BulkPair {
  const EndpointInfo* in = nullptr;
  const EndpointInfo* out = nullptr;
};

// Exactly one bulk IN and one bulk OUT; other endpoint types are tolerated.
std::optional<BulkPair> single_bulk_pair(const InterfaceInfo& intf) {
  BulkPair pair;
  int ins = 0;
  int outs = 0;
  for (const EndpointInfo& ep : intf.endpoints) {
    if (ep.type != TransferType::bulk) continue;
    if (ep.is_in()) {
      ++ins;
      pair.in = &ep;
    } else {
      ++outs;
      pair.out = &ep;
    }
  }
  if (ins != 1 || outs != 1) return std::nullopt;
  return pair;
}

std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x", v & 0xffu);
  return buf;
}

std::string hex4(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v & 0xffffu);
  return buf;
}

std::string summarize(const std::vector<InterfaceInfo>& interfaces) {
  std::string text;
  for (const InterfaceInfo& intf : interfaces) {
    if (!text.empty()) text += "; ";
    text += "interface " + std::to_string(intf.number) + " class 0x" + hex2(intf.interface_class) +
            " with " + std::to_string(intf.endpoints.size()) + " endpoint(s)";
  }
  return text.empty() ? "no interfaces" : text;
}

}  // namespace

BulkInterfaceChoice choose_bulk_interface(const std::vector<InterfaceInfo>& interfaces) {
  const InterfaceInfo* chosen = nullptr;
  std::optional<BulkPair> pair;
  for (int pass = 0; pass < 2 && !chosen; ++pass) {
    for (const InterfaceInfo& intf : interfaces) {
      if (pass == 0 && intf.interface_class != kClassCdcData) continue;
      if (auto found = single_bulk_pair(intf)) {
        chosen = &intf;
        pair = found;
        break;
      }
    }
  }
  if (!chosen) {
    throw TransportError("no interface with one bulk IN and one bulk OUT endpoint (" +
                         summarize(interfaces) + ")");
  }
  BulkInterfaceChoice choice;
  choice.data_interface = chosen->number;
  choice.alt_setting = chosen->alt_setting;
  choice.endpoint_in = pair->in->address;
  choice.endpoint_out = pair->out->address;
  // Bits 11-12 are the high-bandwidth multiplier (never set for bulk); the size is bits 0-10.
  choice.max_packet_size = static_cast<std::uint16_t>(pair->in->max_packet_size & 0x7ff);
  if (choice.max_packet_size == 0) {
    throw TransportError("bulk IN endpoint 0x" + hex2(choice.endpoint_in) +
                         " reports wMaxPacketSize 0");
  }
  for (const InterfaceInfo& intf : interfaces) {
    if (intf.interface_class == kClassComm && intf.number != choice.data_interface) {
      choice.control_interface = intf.number;
      break;
    }
  }
  return choice;
}

std::optional<BusAddress> parse_selector(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto bad = [&] {
    return TransportError("invalid USB device selector '" + std::string(text) +
                          "': expected BUS:ADDR in decimal as lsusb prints it, e.g. 001:005");
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) throw bad();
  const auto number = [&](std::string_view part) {
    int value = -1;
    const auto* end = part.data() + part.size();
    const auto [ptr, ec] = std::from_chars(part.data(), end, value);
    if (part.empty() || ec != std::errc() || ptr != end || value < 0 || value > 255) throw bad();
    return value;
  };
  return BusAddress{number(text.substr(0, colon)), number(text.substr(colon + 1))};
}

std::string describe_candidate(const Candidate& c) {
  const auto stage = classify(c.vid, c.pid);
  char where[32];
  std::snprintf(where, sizeof where, "%03u:%03u", unsigned{c.bus}, unsigned{c.address});
  std::string text = "usb ";
  text += c.port_path.empty() ? std::string("?") : c.port_path;
  text += " (" + std::string(where) + ", " + hex4(c.vid) + ":" + hex4(c.pid) + " " +
          stage_name(stage.value_or(BootStage::unknown)) + ")";
  return text;
}

std::optional<Candidate> select_candidate(const std::vector<Candidate>& present,
                                          const std::optional<BusAddress>& selector) {
  std::vector<Candidate> matching;
  for (const Candidate& c : present) {
    if (!classify(c.vid, c.pid)) continue;
    if (selector && (c.bus != selector->bus || c.address != selector->address)) continue;
    matching.push_back(c);
  }
  if (matching.empty()) return std::nullopt;
  if (matching.size() == 1) return matching.front();
  std::string list;
  for (const Candidate& c : matching) list += "\n  " + describe_candidate(c);
  throw TransportError("several MediaTek devices are connected; select one by its BUS:ADDR:" +
                       list);
}

std::string plug_in_hint() {
  return "Waiting for a MediaTek device in download mode (USB 0e8d:0003/2000/2001/20ff/3000/6000).\n"
         "  1. Power the device off completely.\n"
         "  2. Sony NW-A50 series: take out the microSD card, hold Volume Down + Play and plug in the\n"
         "     USB cable; keep holding the buttons until the device is detected.\n"
         "  Other MediaTek devices: hold the download-mode key combination while plugging in.";
}

}  // namespace mtkfs::transport::usb
