#include "sim/usbdevfs/descriptors.h"

#include "transport/usb_ids.h"

namespace mtkfs::sim::usbdevfs {
namespace {

constexpr std::uint8_t lo(unsigned v) { return static_cast<std::uint8_t>(v & 0xFF); }
constexpr std::uint8_t hi(unsigned v) { return static_cast<std::uint8_t>((v >> 8) & 0xFF); }

constexpr std::uint16_t kPacket = wire::kUsbMaxPacketHighSpeed;
constexpr std::uint8_t kStringManufacturer = 1;
constexpr std::uint8_t kStringProduct = 2;

}  // namespace

std::vector<std::uint8_t> device_descriptor(std::uint16_t product_id) {
  return {18,   0x01, 0x00, 0x02,           // bcdUSB 2.00
          0x02, 0x00, 0x00,                 // class CDC (hosts filter on it), no subclass/protocol
          64,                               // bMaxPacketSize0
          lo(wire::kMediatekVid), hi(wire::kMediatekVid), lo(product_id), hi(product_id),
          0x00, 0x01,                       // bcdDevice 1.00
          kStringManufacturer, kStringProduct, 0,  // no serial number
          1};
}

std::vector<std::uint8_t> configuration_descriptor() {
  std::vector<std::uint8_t> d = {
      9, 0x02, 0, 0, 2, 1, 3, 0xC0, 0xFA,  // total length patched below; 2 interfaces; self-powered
      // Interface 0 first: the data interface (the Preloader's unusual order).
      9, 0x04, kDataInterface, 0, 2, 0x0A, 0x00, 0x00, 4,
      7, 0x05, kBulkOut, 0x02, lo(kPacket), hi(kPacket), 0,
      7, 0x05, kBulkIn, 0x02, lo(kPacket), hi(kPacket), 0,
      // Interface 1: communication (ACM), whose union names interface 0 as its data interface.
      9, 0x04, kControlInterface, 0, 1, 0x02, 0x02, 0x01, 5,
      5, 0x24, 0x00, 0x10, 0x01,                         // header, CDC 1.10
      4, 0x24, 0x02, 0x0F,                               // ACM capabilities
      5, 0x24, 0x06, kControlInterface, kDataInterface,  // union
      5, 0x24, 0x01, 0x03, kDataInterface,               // call management
      7, 0x05, kInterruptIn, 0x03, 64, 0, 0x10};
  d[2] = lo(static_cast<unsigned>(d.size()));
  d[3] = hi(static_cast<unsigned>(d.size()));
  return d;
}

std::optional<std::vector<std::uint8_t>> string_descriptor(std::uint8_t index, const StringTable& strings) {
  if (index == 0) return std::vector<std::uint8_t>{4, 0x03, 0x09, 0x04};  // US English only
  std::string text;
  switch (index) {
    case kStringManufacturer: text = strings.manufacturer; break;
    case kStringProduct: text = strings.product; break;
    case 3: text = "USB CDC ACM for preloader"; break;
    case 4: text = "CDC ACM Data Interface"; break;
    case 5: text = "CDC ACM Communication Interface"; break;
    default: return std::nullopt;
  }
  std::vector<std::uint8_t> d = {static_cast<std::uint8_t>(2 + 2 * text.size()), 0x03};
  for (char c : text) {  // ASCII only, so UTF-16LE is the byte and a zero
    d.push_back(static_cast<std::uint8_t>(c));
    d.push_back(0);
  }
  return d;
}

}  // namespace mtkfs::sim::usbdevfs
