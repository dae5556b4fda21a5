// The narrow interface cache/ uses to reach the eMMC: byte ranges of hardware partitions.
// Implemented by the DA session's Device facade (and by in-memory fakes in tests).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "da/link_status.h"
#include "da/wire.h"

namespace mtkfs::da {

using wire::HwPartition;

// Short name of a hardware partition for messages and log lines ("boot1", "user", ...).
inline std::string partition_name(HwPartition part) {
  switch (part) {
    case HwPartition::boot1: return "boot1";
    case HwPartition::boot2: return "boot2";
    case HwPartition::rpmb: return "rpmb";
    case HwPartition::gp1: return "gp1";
    case HwPartition::gp2: return "gp2";
    case HwPartition::gp3: return "gp3";
    case HwPartition::gp4: return "gp4";
    case HwPartition::user: return "user";
  }
  return "partition " + std::to_string(static_cast<int>(part));
}

// Any failure of the device or the protocol. The message is meant for the user.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The link to the device is gone (unplugged, session lost); later I/O will fail the same way.
class LinkLostError : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  // Size in bytes of a hardware partition; 0 when the device has none.
  virtual std::uint64_t size(HwPartition part) const = 0;

  // offset and data.size() must be multiples of wire::kSectorSize and lie inside the partition.
  // Either fills all of `out` with device bytes or throws DeviceError.
  virtual void read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  virtual void write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) = 0;

  // Human-readable device description (what `mtkfs --info` prints).
  virtual std::string describe() const = 0;

  // The one member any thread may call at any time, even while another call is in progress (a lost
  // link can hold a read for minutes; status.txt must still answer). Devices without a link that
  // can drop are always connected.
  virtual LinkStatus link_status() const { return {}; }
};

}  // namespace mtkfs::da
