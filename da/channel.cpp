#include "da/channel.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "da/bytes.h"
#include "da/errors.h"
#include "da/wire.h"

namespace mtkfs::da {
namespace {

std::string ms(Millis t) { return std::to_string(t.count()) + " ms"; }

// Every transport failure passes through here so the user sees the protocol step, not only
// "read timed out". A vanished link cannot be resynchronised, so it is LinkLostError at once.
template <typename Fn>
void guarded(const transport::Transport& link, std::string_view action, std::string_view what,
             Millis timeout, Fn&& fn) {
  try {
    fn();
  } catch (const transport::TimeoutError&) {
    throw ProtocolError("no answer from the device: timed out after " + ms(timeout) + " " +
                        std::string(action) + " " + std::string(what) + " (" + link.describe() +
                        ")");
  } catch (const transport::DisconnectedError& e) {
    throw LinkLostError("device disconnected while " + std::string(action) + " " +
                        std::string(what) + " (" + link.describe() + ": " + e.what() + ")");
  } catch (const transport::TransportError& e) {
    throw LinkLostError("transport failure while " + std::string(action) + " " + std::string(what) +
                        " (" + link.describe() + ": " + e.what() + ")");
  }
}

// -vv shows every byte on the wire (the first 32 of each transfer). The level check comes first
// so that the hex text is never built otherwise: reads of 1 MiB chunks pass through here.
void trace_wire(const char* direction, std::string_view what, std::span<const std::uint8_t> data) {
  if (!spdlog::should_log(spdlog::level::trace)) return;
  spdlog::trace("{} {} ({} bytes): {}", direction, what, data.size(), bytes::hex(data));
}

}  // namespace

void Channel::send(std::span<const std::uint8_t> data, std::string_view what, Millis timeout) {
  trace_wire("->", what, data);
  link_->note_step(what);
  guarded(*link_, "sending", what, timeout, [&] { link_->write_all(data, timeout); });
}

void Channel::send_byte(std::uint8_t byte, std::string_view what, Millis timeout) {
  send(std::span<const std::uint8_t>(&byte, 1), what, timeout);
}

void Channel::send_fields(const bytes::MessageBuilder& message, std::string_view what, Millis timeout) {
  for (std::size_t i = 0; i < message.field_count(); ++i) send(message.field(i), what, timeout);
}

void Channel::receive(std::span<std::uint8_t> out, std::string_view what, Millis timeout) {
  link_->note_step(what);
  guarded(*link_, "waiting for", what, timeout, [&] { link_->read_exact(out, timeout); });
  trace_wire("<-", what, out);
}

std::vector<std::uint8_t> Channel::receive(std::size_t count, std::string_view what,
                                           Millis timeout) {
  std::vector<std::uint8_t> out(count);
  receive(std::span<std::uint8_t>(out), what, timeout);
  return out;
}

std::uint8_t Channel::receive_u8(std::string_view what, Millis timeout) {
  std::uint8_t b = 0;
  receive(std::span<std::uint8_t>(&b, 1), what, timeout);
  return b;
}

std::uint16_t Channel::receive_u16(std::string_view what, Millis timeout) {
  std::uint8_t b[2];
  receive(b, what, timeout);
  return bytes::be16(b);
}

std::uint32_t Channel::receive_u32(std::string_view what, Millis timeout) {
  std::uint8_t b[4];
  receive(b, what, timeout);
  return bytes::be32(b);
}

// Keeps the step of the last send: a wire trace then shows what this byte answers.
std::optional<std::uint8_t> Channel::try_receive_u8(Millis timeout) {
  std::uint8_t b = 0;
  try {
    guarded(*link_, "waiting for", "one byte", timeout,
            [&] { link_->read_exact(std::span<std::uint8_t>(&b, 1), timeout); });
  } catch (const ProtocolError&) {  // only a timeout becomes ProtocolError in guarded()
    return std::nullopt;
  }
  trace_wire("<-", "one byte", std::span<const std::uint8_t>(&b, 1));
  return b;
}

void Channel::expect(std::span<const std::uint8_t> expected, std::string_view what,
                     Millis timeout) {
  auto got = receive(expected.size(), what, timeout);
  if (!std::equal(got.begin(), got.end(), expected.begin()))
    throw ProtocolError("unexpected " + std::string(what) + ": expected " + bytes::hex(expected) +
                        ", got " + bytes::hex(got));
}

void Channel::send_echoed(std::span<const std::uint8_t> data, std::string_view what,
                          Millis timeout) {
  send(data, what, timeout);
  expect(data, std::string(what) + " echo", timeout);
}

void Channel::expect_ack(std::string_view what, Millis timeout) {
  const std::uint8_t got = receive_u8(what, timeout);
  if (got == wire::da::kAck) return;
  if (got == wire::da::kNack)
    throw ProtocolError("the DA refused " + std::string(what) + " (NACK A5)");
  throw ProtocolError("unexpected answer to " + std::string(what) + ": expected ACK 5A, got " +
                      bytes::hex(std::span<const std::uint8_t>(&got, 1)));
}

void Channel::discard_input() {
  link_->note_step("discard input");
  guarded(*link_, "discarding", "input", Millis{0}, [&] { link_->discard_input(); });
}

}  // namespace mtkfs::da
