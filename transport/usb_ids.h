// How a MediaTek download port looks on USB (docs/protocol/usb.md §1, §4): identities, packet sizes
// and the CDC class requests. Values only; transport/ owns them, and da/wire.h passes them on to the
// protocol code and the simulator.
#pragma once

#include <cstdint>

namespace mtkfs::wire {

inline constexpr std::uint16_t kMediatekVid = 0x0e8d;
inline constexpr std::uint16_t kPidBrom = 0x0003;
inline constexpr std::uint16_t kPidPreloader = 0x2000;
inline constexpr std::uint16_t kPidDa = 0x2001;
inline constexpr std::uint16_t kPidPreloaderAlt20ff = 0x20ff;
inline constexpr std::uint16_t kPidPreloaderAlt3000 = 0x3000;
inline constexpr std::uint16_t kPidPreloaderAlt6000 = 0x6000;
inline constexpr std::uint16_t kUsbMaxPacketHighSpeed = 512;
inline constexpr std::uint16_t kUsbMaxPacketFullSpeed = 64;

// bmRequestType of a class request to an interface, host to device.
inline constexpr std::uint8_t kCdcRequestTypeOut = 0x21;
inline constexpr std::uint8_t kCdcSetLineCoding = 0x20;
inline constexpr std::uint8_t kCdcGetLineCoding = 0x21;
inline constexpr std::uint8_t kCdcSetControlLineState = 0x22;
inline constexpr std::uint8_t kCdcSendBreak = 0x23;

}  // namespace mtkfs::wire
