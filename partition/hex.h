#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace mtkfs::partition::detail {

// Warnings quote on-disk values in hex, the way the spec and `sfdisk -d` show them.
inline std::string hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace mtkfs::partition::detail
