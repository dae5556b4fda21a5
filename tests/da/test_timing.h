// Timing for scripted-transport tests: the spec's fixed sleeps removed (the scripted device
// never needs them), every wait still bounded.
#pragma once

#include "da/timing.h"

namespace mtkfs::testing {

inline da::Timing fast_timing() {
  da::Timing t;
  t.hw_sw_ver_delay = da::Millis{0};
  t.stage2_config_delay = da::Millis{0};
  t.stage2_final_ack_delay = da::Millis{0};
  t.speed_switch_settle = da::Millis{0};
  return t;
}

}  // namespace mtkfs::testing
