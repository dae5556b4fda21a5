// A Transport that plays a scripted device: the host must send exactly the expected bytes (in any
// write granularity), and each canned reply becomes readable only once every expectation before
// it was met. Nothing ever sleeps: a read that the script cannot satisfy times out at once, which
// is exactly what the device's silence looks like to the host.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "transport/transport.h"

namespace mtkfs::testing {

// Thrown (not a TransportError, so the code under test cannot mistake it for a device problem)
// when the host sends something the script did not expect.
class ScriptMismatch : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

using Bytes = std::vector<std::uint8_t>;

Bytes operator+(Bytes a, const Bytes& b);
Bytes be16(std::uint16_t v);
Bytes be32(std::uint32_t v);
Bytes be64(std::uint64_t v);
Bytes repeat(std::uint8_t byte, std::size_t count);
Bytes text(const std::string& s);

class ScriptedTransport : public transport::Transport {
 public:
  ScriptedTransport& expect(Bytes bytes, std::string label = {});
  ScriptedTransport& reply(Bytes bytes);
  // The device goes away here: once the host has sent everything expected before this point,
  // reads and writes throw DisconnectedError.
  ScriptedTransport& disconnect();

  void write_all(std::span<const std::uint8_t> data, transport::Millis timeout) override;
  void read_exact(std::span<std::uint8_t> out, transport::Millis timeout) override;
  void discard_input() override;
  std::string describe() const override { return "scripted device"; }

  // True when every expectation was met and every reply byte was read or discarded.
  bool finished() const;
  std::string position() const;  // for failure messages
  std::size_t discards() const { return discards_; }
  std::size_t timeouts() const { return timeouts_; }

 private:
  enum class Kind { expect, reply, disconnect };
  struct Step {
    Kind kind;
    Bytes bytes;
    std::string label;
    std::size_t done = 0;  // bytes written (expect) or read (reply)
  };
  bool expectations_met_before(std::size_t index) const;
  std::size_t available() const;

  std::vector<Step> steps_;
  std::size_t write_step_ = 0;  // first expect step not yet complete (or steps_.size())
  std::size_t read_step_ = 0;   // first reply step not yet fully read
  std::size_t discards_ = 0;
  std::size_t timeouts_ = 0;
};

}  // namespace mtkfs::testing
