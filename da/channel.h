// The protocol's view of a Transport: named sends and receives whose failures become
// DeviceError/ProtocolError/LinkLostError messages saying which step of which command failed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "da/bytes.h"
#include "da/timing.h"
#include "transport/transport.h"

namespace mtkfs::da {

class Channel {
 public:
  explicit Channel(transport::Transport& link) : link_(&link) {}

  // After a USB re-enumeration the session continues on a new transport.
  void rebind(transport::Transport& link) { link_ = &link; }
  transport::Transport& link() { return *link_; }
  std::string describe() const { return link_->describe(); }

  // `what` names the step for error messages, e.g. "SEND_DA (D7) image data".
  void send(std::span<const std::uint8_t> data, std::string_view what, Millis timeout);
  void send_byte(std::uint8_t byte, std::string_view what, Millis timeout);
  // One write, so one USB transfer, per field: what both working tools do. The Preloader buffers
  // its input, but the DA's receive path is not public and may take one transfer per field read.
  void send_fields(const bytes::MessageBuilder& message, std::string_view what, Millis timeout);

  void receive(std::span<std::uint8_t> out, std::string_view what, Millis timeout);
  std::vector<std::uint8_t> receive(std::size_t count, std::string_view what, Millis timeout);
  std::uint8_t receive_u8(std::string_view what, Millis timeout);
  std::uint16_t receive_u16(std::string_view what, Millis timeout);
  std::uint32_t receive_u32(std::string_view what, Millis timeout);

  // One byte if it arrives within `timeout`, nothing on a timeout (for handshakes and drains,
  // where silence is an expected outcome rather than an error).
  std::optional<std::uint8_t> try_receive_u8(Millis timeout);

  // Reads expected.size() bytes and throws ProtocolError showing both if they differ.
  void expect(std::span<const std::uint8_t> expected, std::string_view what, Millis timeout);

  // Preloader style: send `data`, then require the same bytes back.
  void send_echoed(std::span<const std::uint8_t> data, std::string_view what, Millis timeout);

  // DA style: one byte that must be ACK (5A); NACK and anything else are told apart.
  void expect_ack(std::string_view what, Millis timeout);

  void discard_input();

 private:
  transport::Transport* link_;
};

}  // namespace mtkfs::da
