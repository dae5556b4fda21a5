#include "sim/usbdevfs/control.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "sim/usbdevfs/descriptors.h"

namespace mtkfs::sim::usbdevfs {
namespace {

constexpr std::size_t kSetupSize = 8;
constexpr std::uint8_t kGetStatus = 0x00;
constexpr std::uint8_t kGetDescriptor = 0x06;
constexpr std::uint8_t kGetConfiguration = 0x08;

std::optional<std::vector<std::uint8_t>> standard_in(std::uint8_t request, std::uint16_t value,
                                                      std::uint16_t product_id) {
  switch (request) {
    case kGetStatus: return std::vector<std::uint8_t>{0x01, 0x00};  // self-powered
    case kGetConfiguration: return std::vector<std::uint8_t>{1};
    case kGetDescriptor:
      switch (value >> 8) {
        case 1: return device_descriptor(product_id);
        case 2: return configuration_descriptor();
        case 3: return string_descriptor(static_cast<std::uint8_t>(value & 0xFF));
        default: return std::nullopt;
      }
    default: return std::nullopt;
  }
}

}  // namespace

void serve_control(Urb& urb, UsbDeviceModel& model, std::uint64_t enumeration, std::uint16_t product_id) {
  urb.actual = 0;
  if (urb.data.size() < kSetupSize) {
    urb.status = -EINVAL;
    return;
  }
  const std::uint8_t type = urb.data[0];
  const std::uint8_t request = urb.data[1];
  const auto word = [&](std::size_t at) {
    return static_cast<std::uint16_t>(urb.data[at] | (urb.data[at + 1] << 8));
  };
  const std::uint16_t value = word(2);
  const std::uint16_t index = word(4);
  const std::size_t length = std::min<std::size_t>(word(6), urb.data.size() - kSetupSize);
  std::span<std::uint8_t> stage(urb.data.data() + kSetupSize, length);

  if (!model.enumerated() || model.enumeration_count() != enumeration) {
    urb.status = -ENODEV;
    return;
  }
  if (type & 0x80) {
    // Device-to-host: only standard requests; the Preloader answers no class or vendor IN request.
    const auto answer = (type & 0x60) == 0 ? standard_in(request, value, product_id) : std::nullopt;
    if (!answer) {
      urb.status = -EPIPE;
      return;
    }
    urb.actual = std::min(answer->size(), stage.size());
    std::memcpy(stage.data(), answer->data(), urb.actual);
    urb.status = 0;
    return;
  }
  switch (model.control_out(type, request, value, index, stage, enumeration)) {
    case UsbStatus::ok:
      urb.actual = stage.size();
      urb.status = 0;
      return;
    case UsbStatus::no_device: urb.status = -ENODEV; return;
    default: urb.status = -EPIPE; return;
  }
}

}  // namespace mtkfs::sim::usbdevfs
