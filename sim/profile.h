// NW-A50 identity as the device reports it (docs/protocol/preloader.md §5,
// docs/protocol/legacy-da.md §2, §5; values from the seed).
#pragma once

#include <cstdint>

namespace mtkfs::sim::profile {

inline constexpr std::uint16_t kHwCode = 0x8590;
inline constexpr std::uint16_t kHwSubcode = 0x8A00;
inline constexpr std::uint16_t kHwVer = 0xCB01;
inline constexpr std::uint16_t kSwVer = 0x0102;
inline constexpr std::uint32_t kTargetConfig = 0;
// Non-zero SEND_DA / JUMP_DA status for a rejected DA [sim-choice]: > 0xFF so that mtkclient, which takes
// <= 0xFF as success, also fails; 0x7017 is the DAA security error seen in the wild.
inline constexpr std::uint16_t kStatusDaRejected = 0x7017;

inline constexpr std::uint8_t kDaVersion[3] = {0x04, 0x02, 0x91};
// eMMC CID in standard byte order, MID first (docs/protocol/legacy-da.md §6.4 [sim-choice]).
inline constexpr std::uint8_t kCid[16] = {0x15, 0x01, 0x00, 0x41, 0x47, 0x4E, 0x44, 0x33,
                                          0x52, 0x07, 0x12, 0x34, 0x56, 0x78, 0xA1, 0xE3};
inline constexpr std::uint8_t kEmmcFwVer[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
inline constexpr std::uint8_t kRandomId[16] = {0xFA, 0x7B, 0x5F, 0x0A, 0xE9, 0xD5, 0x52, 0x12,
                                               0x0A, 0xBB, 0xAD, 0x92, 0xE4, 0xDF, 0xDA, 0x3B};
inline constexpr std::uint16_t kReportNandIdCount = 7;  // must be 7 with the u64 layout (docs/protocol/legacy-da.md §5.1)
inline constexpr std::uint32_t kIntSramSize = 0x00040000;
inline constexpr std::uint8_t kExtRamTypeDram = 0x02;
inline constexpr std::uint64_t kExtRamSize = 0x20000000;

}  // namespace mtkfs::sim::profile
