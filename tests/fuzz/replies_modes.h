// The modes of fuzz_da_replies (one per layer of the host's reply parsing); each takes the decoded
// input (replies_input.h) and checks its own invariants with FUZZ_CHECK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "da/timing.h"
#include "tests/fuzz/replies_input.h"

namespace mtkfs::fuzz {

// Deadlines long enough never to expire during one input (the transport answers at once and
// ends every wait itself), and the fixed sleeps removed: a run depends on the input alone.
inline da::Timing replies_timing() {
  da::Timing t;
  const da::Millis forever{60'000};
  t.handshake_byte = t.handshake_step = t.handshake_deadline = forever;
  t.drain_limit = forever;
  t.hw_sw_ver_delay = t.stage2_config_delay = t.stage2_final_ack_delay = t.speed_switch_settle = da::Millis{0};
  return t;
}

// The data the host sends in modes 3-4 (the seed generator needs the same bytes).
inline std::vector<std::uint8_t> replies_pattern(std::size_t length, std::uint8_t seed) {
  std::vector<std::uint8_t> out(length);
  for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
  return out;
}

void replies_pure_report(const replies_input::Input& in);     // mode 0
void replies_read_report(const replies_input::Input& in);     // mode 1
void replies_da1_sync(const replies_input::Input& in);        // mode 2
void replies_da2_commands(const replies_input::Input& in);    // mode 3
void replies_preloader(const replies_input::Input& in);       // mode 4
void replies_device(const replies_input::Input& in);          // mode 5

}  // namespace mtkfs::fuzz
