// Bytes in and out of the device, whatever the medium (USB, tty, socket).
// Everything above this interface is protocol; everything below is one file per medium.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mtkfs::transport {

using Millis = std::chrono::milliseconds;

// What a transport has to tell the user while it opens (how to plug the device in, what it found):
// one message, possibly several lines, no trailing newline. The program decides where it goes;
// transports never write to the terminal themselves. Empty: nobody is told.
using NoticeFn = std::function<void(const std::string&)>;

class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The deadline passed before all requested bytes arrived (or could be sent).
class TimeoutError : public TransportError {
 public:
  using TransportError::TransportError;
};

// The other side went away (unplugged, port closed, socket EOF).
class DisconnectedError : public TransportError {
 public:
  using TransportError::TransportError;
};

// What the medium already tells about the device before any protocol byte is exchanged
// (the USB product id). The protocol layer confirms it (docs/protocol/preloader.md §2).
enum class BootStage { unknown, brom, preloader, da };

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends every byte or throws.
  virtual void write_all(std::span<const std::uint8_t> data, Millis timeout) = 0;

  // Fills `out` completely or throws TimeoutError / DisconnectedError.
  // Bytes that arrived beyond out.size() stay buffered for the next read.
  // (mtkfs transports also keep the bytes of a read that timed out buffered, in order, so a
  // timeout never loses or reorders stream bytes; `out` is unspecified after a throw.)
  virtual void read_exact(std::span<std::uint8_t> out, Millis timeout) = 0;

  // Drops buffered input and whatever the device has already sent.
  virtual void discard_input() = 0;

  // e.g. "usb 1-4 (0e8d:2000)", "/dev/ttyACM0", "socket /tmp/sim.sock"
  virtual std::string describe() const = 0;

  // unknown for media that carry no identity (tty, socket).
  virtual BootStage boot_stage_hint() const { return BootStage::unknown; }

  // The protocol step the next bytes belong to ("handshake byte A0"), for a wire trace
  // (transport/wire_trace.h). Transports that record none ignore it.
  virtual void note_step(std::string_view step) { (void)step; }
};

}  // namespace mtkfs::transport
