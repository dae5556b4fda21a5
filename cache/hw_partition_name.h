// Short names of eMMC hardware partitions for log lines and error messages.
#pragma once

#include <string>

#include "da/wire.h"

namespace mtkfs::cache {

inline std::string hw_partition_name(wire::HwPartition part) {
  switch (part) {
    case wire::HwPartition::boot1: return "boot1";
    case wire::HwPartition::boot2: return "boot2";
    case wire::HwPartition::rpmb: return "rpmb";
    case wire::HwPartition::gp1: return "gp1";
    case wire::HwPartition::gp2: return "gp2";
    case wire::HwPartition::gp3: return "gp3";
    case wire::HwPartition::gp4: return "gp4";
    case wire::HwPartition::user: return "user";
  }
  return "partition#" + std::to_string(static_cast<int>(part));
}

}  // namespace mtkfs::cache
