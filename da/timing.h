// Every wait of the host side, in one place. Defaults follow the spec
// (docs/protocol/preloader.md §8, docs/protocol/legacy-da.md §14-§15); tests against scripted
// transports shorten the fixed sleeps only.
#pragma once

#include <chrono>

namespace mtkfs::da {

using Millis = std::chrono::milliseconds;

struct Timing {
  // Handshake (docs/protocol/preloader.md §3.3): one reply byte is waited for this long before A0
  // is resent.
  Millis handshake_byte{50};
  // Replies to 0A/50/05 must come inside the device's 300 ms handshake window.
  Millis handshake_step{100};
  // Give up on the handshake altogether after this long.
  Millis handshake_deadline{5000};
  // Any single Preloader or DA reply that involves no flash work (C tool: 1000 ms per transfer).
  Millis reply{1000};
  // GET_HW_SW_VER: both tools sleep before reading the answer (docs/protocol/preloader.md §5.2).
  Millis hw_sw_ver_delay{50};
  // SEND_DA: checksum + status after the data; the device hashes the image first.
  Millis send_da_result{5000};
  // DA1's C0 after JUMP_DA (C tool waits 1000 ms; allow slow starts).
  Millis da_sync{3000};
  // Host sleeps before reading the stage-2 config status (docs/protocol/legacy-da.md §3).
  Millis stage2_config_delay{350};
  // Host sleeps after the last stage-2 chunk before its final 5A (docs/protocol/legacy-da.md §4).
  Millis stage2_final_ack_delay{500};
  // DA2 verifies stage 2 against DA1's hash before its final 5A.
  Millis stage2_verdict{5000};
  // The whole 226-byte report + trailer after the stage-2 ACK (docs/protocol/legacy-da.md §14).
  Millis report{5000};
  // One 1 MiB data chunk in either direction, including the device's flash work
  // (docs/protocol/legacy-da.md §14).
  Millis chunk{10000};
  // After the USB speed switch (70 01) the DA leaves the bus and re-enumerates; give it time to
  // go before looking for it again (mtkclient waits even longer, docs/protocol/legacy-da.md §15).
  Millis speed_switch_settle{1000};
  // Resynchronisation: input counts as drained after this much silence
  // (docs/protocol/legacy-da.md §14).
  Millis drain_silence{300};
  // Resynchronisation gives up draining after this long (a device that never goes quiet).
  Millis drain_limit{5000};
};

}  // namespace mtkfs::da
