// The descriptors the Preloader (and the DA after a speed switch) shows the host, as bytes
// (docs/protocol/usb.md §2): what sysfs's `descriptors` attribute holds and what GET_DESCRIPTOR returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mtkfs::sim::usbdevfs {

inline constexpr std::uint8_t kDataInterface = 0;     // CDC Data: bulk 0x01 OUT, 0x81 IN
inline constexpr std::uint8_t kControlInterface = 1;  // CDC Comm: interrupt 0x83 IN
inline constexpr std::uint8_t kBulkOut = 0x01;
inline constexpr std::uint8_t kBulkIn = 0x81;
inline constexpr std::uint8_t kInterruptIn = 0x83;

struct StringTable {
  std::string manufacturer = "MediaTek";
  std::string product = "MT65xx Preloader";
};

std::vector<std::uint8_t> device_descriptor(std::uint16_t product_id);
std::vector<std::uint8_t> configuration_descriptor();  // with its interfaces, functional and endpoint descriptors
// String descriptor `index` (0: the language list), UTF-16LE as on the wire; nullopt for unknown indexes.
std::optional<std::vector<std::uint8_t>> string_descriptor(std::uint8_t index, const StringTable& strings = {});

}  // namespace mtkfs::sim::usbdevfs
