// The Preloader start sequence (docs/protocol/preloader.md §3). Two device behaviours must both
// work: the real Preloader swallows the first A0 and may send READY text before it; the reference pty
// simulator answers the first A0 and sends no READY. Hence: every attempt starts from a clean
// input, waits a short window for a 5F among any noise, and on silence simply sends A0 again.
#include <chrono>

#include "da/bytes.h"
#include "da/errors.h"
#include "da/preloader.h"
#include "da/wire.h"

namespace mtkfs::da {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint8_t kReplies[4] = {0x5F, 0xF5, 0xAF, 0xFA};
constexpr std::size_t kNoiseShown = 24;

Millis remaining(Clock::time_point until) {
  auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
  return left < Millis{1} ? Millis{1} : left;
}

}  // namespace

// Keeps the last few unexpected bytes for the error message when the handshake never succeeds.
void PreloaderClient::note_noise(const std::string& item) {
  bytes::append_item(recent_noise_, item, " ");
  if (recent_noise_.size() > kNoiseShown * 3)
    recent_noise_.erase(0, recent_noise_.size() - kNoiseShown * 3);
}

// Sends A0 and reads single bytes until 5F or until the window closes. Anything else
// (READY text, a stale or mismatch reply) is noise and is dropped.
bool PreloaderClient::await_handshake_start(Clock::time_point deadline) {
  ch_.send_byte(wire::kHandshake[0], "handshake byte A0", timing_.reply);
  const auto window_end = std::min(deadline, Clock::now() + timing_.handshake_byte);
  while (Clock::now() < window_end) {
    auto byte = ch_.try_receive_u8(remaining(window_end));
    if (!byte) return false;
    if (*byte == kReplies[0]) return true;
    note_noise(bytes::hex({&*byte, 1}));
  }
  return false;
}

// The device has 300 ms from its first matched A0 to see the rest, so each reply is waited for
// briefly; any miss sends the caller back to A0 (the device restarts at A0 on a mismatch too).
bool PreloaderClient::finish_handshake() {
  for (int i = 1; i < 4; ++i) {
    ch_.send_byte(wire::kHandshake[i], "handshake byte", timing_.reply);
    auto byte = ch_.try_receive_u8(timing_.handshake_step);
    if (!byte || *byte != kReplies[i]) {
      note_noise(byte ? bytes::hex({&*byte, 1}) : std::string("(silence)"));
      return false;
    }
  }
  return true;
}

void PreloaderClient::handshake() {
  const auto deadline = Clock::now() + timing_.handshake_deadline;
  recent_noise_.clear();
  int attempts = 0;
  while (Clock::now() < deadline) {
    ++attempts;
    ch_.discard_input();
    if (await_handshake_start(deadline) && finish_handshake()) return;
  }
  throw ProtocolError(
      "no Preloader handshake on " + ch_.describe() + " within " +
      std::to_string(timing_.handshake_deadline.count()) + " ms (" + std::to_string(attempts) +
      " attempts; unexpected bytes: " + (recent_noise_.empty() ? "none" : recent_noise_) +
      "). Is the device in download mode? Power it off, hold Volume-Down + Play and plug it in. "
      "A Download Agent left running by an earlier attempt does not answer the handshake, and "
      "unplugging does not stop it (the battery keeps it running): hold the power key about "
      "10 s to reset the device, then enter download mode again");
}

}  // namespace mtkfs::da
