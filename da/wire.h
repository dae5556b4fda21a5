// Wire constants of the MediaTek Preloader and legacy DA protocols (see docs/protocol).
// This header is the only thing the simulator shares with the host side: values, never logic.
#pragma once

#include <cstdint>

#include "transport/usb_ids.h"  // USB identities and CDC requests

namespace mtkfs::wire {

// Preloader handshake (docs/protocol/preloader.md §3).
inline constexpr std::uint8_t kHandshake[4] = {0xA0, 0x0A, 0x50, 0x05};
inline constexpr std::uint8_t kReadyText[5] = {'R', 'E', 'A', 'D', 'Y'};

// Preloader commands (docs/protocol/preloader.md §4).
namespace pl {
inline constexpr std::uint8_t kGetHwCode = 0xFD;
inline constexpr std::uint8_t kGetHwSwVer = 0xFC;
inline constexpr std::uint8_t kGetBlVer = 0xFE;
inline constexpr std::uint8_t kGetVersion = 0xFF;
inline constexpr std::uint8_t kGetTargetConfig = 0xD8;
inline constexpr std::uint8_t kRead32 = 0xD1;
inline constexpr std::uint8_t kWrite32 = 0xD4;
inline constexpr std::uint8_t kSendDa = 0xD7;
inline constexpr std::uint8_t kJumpDa = 0xD5;
inline constexpr std::uint8_t kUart1LogEn = 0xDB;
inline constexpr std::uint8_t kBlVerPreloader = 0x01;  // FE answer in Preloader mode
inline constexpr std::uint32_t kWatchdogAddr = 0x10007000;
inline constexpr std::uint32_t kWatchdogDisable = 0x22000064;
inline constexpr std::uint16_t kStatusOk = 0x0000;
inline constexpr std::uint16_t kStatusUnaligned = 0xFFFF;
inline constexpr std::uint16_t kStatusCountZero = 0xFFFE;
inline constexpr std::uint16_t kStatusOverflow = 0xFFFD;
}  // namespace pl

// Legacy DA (docs/protocol/legacy-da.md §1, §6).
namespace da {
inline constexpr std::uint8_t kSync = 0xC0;
inline constexpr std::uint8_t kAck = 0x5A;
inline constexpr std::uint8_t kNack = 0xA5;
inline constexpr std::uint8_t kCont = 0x69;
inline constexpr std::uint8_t kStop = 0x96;
inline constexpr std::uint8_t kSocOk = 0xC1;
inline constexpr std::uint8_t kSocFail = 0xCF;
inline constexpr std::uint8_t kUnknownCmd = 0xBB;

inline constexpr std::uint32_t kStatusDone = 0x00000000;
inline constexpr std::uint32_t kStatusRamError = 0x00000BC3;
inline constexpr std::uint32_t kStatusDeviceNotFound = 0x00000BC4;
inline constexpr std::uint32_t kStatusNorNotFound = 0x00000BC7;
inline constexpr std::uint32_t kStatusNandNotFound = 0x00000BC8;
inline constexpr std::uint32_t kStatusInvalidRange = 0x00000BE0;

inline constexpr std::uint8_t kCmdUsbCheckStatus = 0x72;
inline constexpr std::uint8_t kCmdUsbSetupPort = 0x70;
inline constexpr std::uint8_t kCmdSwitchPart = 0x60;
inline constexpr std::uint8_t kCmdRead = 0xD6;
inline constexpr std::uint8_t kCmdWrite = 0x62;
inline constexpr std::uint8_t kCmdReadPmt = 0xA5;
inline constexpr std::uint8_t kCmdEnableWatchdog = 0xDB;
inline constexpr std::uint8_t kCmdFinish = 0xD9;

inline constexpr std::uint8_t kHostOsLinux = 0x0C;
inline constexpr std::uint8_t kStorageEmmc = 0x02;       // D6 and (mtkfs) 62
inline constexpr std::uint8_t kStorageEmmcAlt = 0x01;    // mtkclient's 62 storage byte
inline constexpr std::uint32_t kStage2PacketSize = 0x1000;
inline constexpr std::uint32_t kDataPacketSize = 0x100000;
inline constexpr std::uint8_t kSpeedFull = 0;
inline constexpr std::uint8_t kSpeedHigh = 1;

inline constexpr std::size_t kStage2ConfigSize = 18;
inline constexpr std::size_t kReadHeaderSize = 19;
inline constexpr std::size_t kWriteHeaderSize = 23;
inline constexpr std::size_t kReportSize = 226;
// Report units (docs/protocol/legacy-da.md §5.1), in order; the NAND id list unit is count*2 bytes.
inline constexpr std::size_t kReportNorSize = 0x1C;
inline constexpr std::size_t kReportNandSize = 0x11;
inline constexpr std::size_t kReportNandGeometrySize = 9;
inline constexpr std::size_t kReportEmmcSize = 0x5C;
inline constexpr std::size_t kReportSdmmcSize = 0x1C;
inline constexpr std::size_t kReportConfigSize = 0x26;
inline constexpr std::size_t kTrailerSize = 10;
inline constexpr std::size_t kTrailerPrefixSize = 4;
}  // namespace da

// eMMC hardware partition ids used by DA commands 60 and 62 (docs/protocol/legacy-da.md §6.2).
enum class HwPartition : std::uint8_t {
  boot1 = 1,
  boot2 = 2,
  rpmb = 3,
  gp1 = 4,
  gp2 = 5,
  gp3 = 6,
  gp4 = 7,
  user = 8,
};

inline constexpr std::uint64_t kSectorSize = 512;

}  // namespace mtkfs::wire
