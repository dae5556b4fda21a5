// The firmware's I/O layer on top of a DeviceLink: buffered big-endian reads with stream offsets (for
// protocol-violation messages), units out, trace, and the faults/link model that act on every byte.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sim/link.h"
#include "sim/sim.h"
#include "sim/trace.h"

namespace mtkfs::sim {

// Fault bookkeeping for the lifetime of a server (all host sessions).
struct FaultState {
  std::uint64_t d6_chunks = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t da_commands = 0;
  std::uint32_t nacks_sent = 0;
  std::uint32_t nack_skipped = 0;
  std::uint64_t strict_dropped_bytes = 0;  // host bytes the strict receiver threw away
  std::uint64_t drops = 0;  // drop points passed (SimConfig::Faults::drop_after_bytes, drop_again_after_bytes)
  std::uint64_t rx_bytes = 0;         // host bytes taken in, over all sessions
  std::size_t received_drops = 0;     // points of Faults::drop_after_received_bytes passed
  bool reentered = false;
};

// `--link-model usb2-hs`: the USB 2.0 bus is half duplex, so both directions share one budget.
class LinkThrottle {
 public:
  explicit LinkThrottle(LinkModel model) : enabled_(model == LinkModel::usb2_hs) {}
  void account(std::size_t bytes);

 private:
  bool enabled_;
  Clock::time_point busy_until_{};
};

class DeviceIo {
 public:
  DeviceIo(DeviceLink& link, const SimConfig& config, FaultState& faults, Trace* trace);

  void begin_session();  // stream offsets restart; stale buffered input is dropped; receiver not strict
  // The DA's receive path: with SimConfig::strict_receiver each read takes whole host transfers.
  void enter_da() { strict_ = config_.strict_receiver; }
  DeviceLink& link() { return link_; }

  // --- input -----------------------------------------------------------------------------------
  // Takes up to out.size() bytes that are already queued, waiting until `deadline` for the first.
  std::size_t take_available(std::span<std::uint8_t> out, Clock::time_point deadline, std::string_view what);
  std::optional<std::uint8_t> read_byte_until(Clock::time_point deadline, std::string_view what);
  std::uint8_t read_byte(std::string_view what);
  void read_exact(std::span<std::uint8_t> out, std::string_view what);
  // A message of several fields (widths add up to out.size()): one read on a stream, one read per
  // field for the strict receiver, where each field is its own host transfer.
  void read_fields(std::span<std::uint8_t> out, std::initializer_list<std::size_t> widths, std::string_view what);
  std::uint16_t read_u16(std::string_view what);
  std::uint32_t read_u32(std::string_view what);
  // Swallows host input for `duration`; returns the last byte seen, if any
  // (docs/protocol/legacy-da.md §9.2).
  std::optional<std::uint8_t> discard_for(std::chrono::milliseconds duration, std::string_view what);
  // Offset in the host->device stream of the next byte to be consumed.
  std::uint64_t rx_offset() const { return rx_offset_; }
  // Throws ProtocolViolation naming the byte that was just consumed, its offset and the state.
  [[noreturn]] void unexpected(std::uint8_t byte, std::string_view state);
  // Waits for the host to go away while ignoring everything it sends (strict mute).
  [[noreturn]] void mute_until_host_gone();

  // --- output ----------------------------------------------------------------------------------
  void send(std::span<const std::uint8_t> unit, std::string_view what);
  void send_u8(std::uint8_t value, std::string_view what);
  void send_u16(std::uint16_t value, std::string_view what);
  void send_u32(std::uint32_t value, std::string_view what);
  // Ends the host's current IN transfer (after a unit that filled whole packets).
  void send_zero_length_packet(std::string_view what);
  // Emits units held back by the merge fault; called before the device waits or drops off the bus.
  void flush();
  void sleep_for(std::chrono::milliseconds duration);
  void note(std::string_view text);
  // The reply-delay fault starts after the handshake: delayed handshake replies could never fit the
  // device's own 300 ms window, so no host could ever connect.
  void enable_reply_delay() { reply_delay_active_ = true; }

 private:
  std::size_t fill(Clock::time_point deadline);
  void emit(std::span<const std::uint8_t> unit, std::string_view what);
  std::optional<std::uint64_t> next_drop() const;
  void count_received(std::size_t bytes);
  void drop_link(const std::string& what);
  void trace_in(std::span<const std::uint8_t> bytes, std::string_view what);
  void read_transfers(std::span<std::uint8_t> out, std::string_view what);

  DeviceLink& link_;
  const SimConfig& config_;
  FaultState& faults_;
  Trace* trace_;
  LinkThrottle throttle_;
  std::vector<std::uint8_t> rx_;
  std::size_t rx_head_ = 0;
  std::size_t rx_tail_ = 0;
  std::uint64_t rx_offset_ = 0;
  std::uint64_t tx_offset_ = 0;
  std::vector<std::uint8_t> merged_;
  bool input_since_reply_ = false;
  bool reply_delay_active_ = false;
  bool strict_ = false;
};

}  // namespace mtkfs::sim
