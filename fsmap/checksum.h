#pragma once

// The checksums the readers verify before they trust a structure.

#include <cstdint>
#include <span>

namespace mtkfs::fsmap {

// CRC-32C (Castagnoli, reflected) continued from `crc` without the final inversion: ext4 chains
// its checksums this way (seed ~0 or the filesystem's checksum seed). The usual CRC-32C of `data`
// is ~crc32c(~0u, data).
std::uint32_t crc32c(std::uint32_t crc, std::span<const std::uint8_t> data);

// CRC-16 (polynomial 0x8005, reflected) continued from `crc`: ext4's uninit_bg (gdt_csum)
// descriptor checksum.
std::uint16_t crc16(std::uint16_t crc, std::span<const std::uint8_t> data);

// exFAT boot checksum over the first 11 sectors of a boot region, without VolumeFlags (bytes 106
// and 107) and PercentInUse (byte 112) of sector 0, which change without it being recomputed.
std::uint32_t exfat_boot_checksum(std::span<const std::uint8_t> sectors, std::uint64_t bytes_per_sector);

}  // namespace mtkfs::fsmap
