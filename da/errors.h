// Error types of the host side beyond the two public ones in block_device.h.
#pragma once

#include <stdexcept>

#include "da/block_device.h"

namespace mtkfs::da {

// The device answered something the protocol does not allow (wrong echo, NACK, bad checksum,
// missing reply). The link itself may still work: inside a data command the session tries to
// resynchronise (docs/protocol/legacy-da.md §14) before giving up with LinkLostError.
class ProtocolError : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

// After a lost link, a device came back that is not the one mounted (other CID, sizes or chip).
class OtherDeviceError : public LinkLostError {
 public:
  using LinkLostError::LinkLostError;
};

// The DA file cannot be used: missing, unreadable, malformed, or without an entry for this chip.
class DaFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mtkfs::da
