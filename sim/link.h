// Device-side view of a transport: the simulated firmware reads host bytes and emits "units" (one bulk
// transfer each, docs/protocol/usb.md §5.1) through this interface. Endpoints (socket, pty, USB model)
// implement it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace mtkfs::sim {

using Clock = std::chrono::steady_clock;
inline constexpr Clock::time_point kForever = Clock::time_point::max();

// Session events unwind the firmware to its top loop. They deliberately do not derive from std::exception,
// so that the firmware's "anything else is an error -> mute" handler cannot swallow them.
struct SessionEvent {};

// The host closed the port and the device is to start over (reset-on-close policy, or a muted device).
struct HostGone : SessionEvent {};
// The server is shutting down; the firmware thread unwinds.
struct LinkStopped : SessionEvent {};
// The host sent a byte the device does not expect in its state: the device goes mute.
struct ProtocolViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The device stops answering on its own (JUMP_DA without DA, DA1 rejecting stage 2): also mute.
struct DeviceHalted : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The device dropped off the bus (reboot, power off, drop fault, speed switch); thrown after
// DeviceLink::disconnect. keep_da2: the DA keeps running (speed switch), else a fresh Preloader follows.
struct DeviceDisconnected : SessionEvent {
  explicit DeviceDisconnected(bool keep) : keep_da2(keep) {}
  bool keep_da2;
};
// Fault: the device silently restarts in a fresh Preloader on the same connection.
struct ReenterPreloader : SessionEvent {};

class DeviceLink {
 public:
  virtual ~DeviceLink() = default;
  // Waits until host bytes are available or `deadline` passes; returns how many were copied (0 = deadline).
  // Throws HostGone when the host left and the device must start over; LinkStopped on shutdown.
  virtual std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point deadline) = 0;
  // Strict receiver: the rest of one host transfer, at most buffer.size() bytes of it; `dropped` counts
  // what did not fit and is gone. Streams have no transfers: there it is read_some().
  struct TransferRead {
    std::size_t copied = 0;
    std::size_t dropped = 0;
  };
  virtual TransferRead read_transfer(std::span<std::uint8_t> buffer, Clock::time_point deadline) {
    return {read_some(buffer, deadline), 0};
  }
  // Emits one unit. Bytes sent while no host is attached are lost (as on a real unplugged port).
  virtual void send_unit(std::span<const std::uint8_t> unit) = 0;
  // A zero-length packet after the units sent so far (ends the host's current IN transfer). Streams
  // have no packets.
  virtual void send_zero_length_packet() {}
  // "Tool present" (docs/protocol/usb.md §4.1): USB after SET_LINE_CODING; streams while a host is
  // connected.
  virtual bool tool_present() const = 0;
  // Drops off the bus; a speed switch re-enumerates as the DA port.
  virtual void disconnect(bool speed_switch) = 0;
  // The drop fault: off the bus for `off_time` (nullopt: as disconnect(false)), then back for a fresh
  // Preloader. Endpoints refine what "off" means (sim/README.md).
  virtual void drop(std::optional<std::chrono::milliseconds> off_time) {
    disconnect(false);
    if (off_time) sleep_for(*off_time);
  }
  // A muted device (protocol violation) always starts over when the host leaves.
  virtual void set_muted(bool muted) = 0;
  // Sleeps, but wakes with LinkStopped on shutdown.
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

}  // namespace mtkfs::sim
