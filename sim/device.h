// The simulated device: firmware stages over a DeviceLink, plus everything that outlives a host session.
#pragma once

#include <memory>
#include <optional>

#include "da/wire.h"
#include "sim/da_file.h"
#include "sim/device_io.h"
#include "sim/link.h"
#include "sim/regions.h"
#include "sim/sim.h"
#include "sim/trace.h"

namespace mtkfs::sim {

enum class Transport { stream, usb };

// State of a running DA2 (kept across a speed-switch re-enumeration, and across host sessions on USB).
struct DaState {
  wire::HwPartition selected = wire::HwPartition::user;
  bool high_speed = true;
};

struct DeviceContext {
  const SimConfig& config;
  DeviceIo& io;
  Regions& regions;
  const ExpectedDa* da;  // nullptr: accept any structurally valid upload
  FaultState& faults;
  bool ready;
  DaState& da_state;
};

// Preloader from power-on until an accepted JUMP_DA (docs/protocol/preloader.md §3-§5).
void run_preloader(DeviceContext& ctx);
// DA1: sync, versions, stage-2 config and upload, then DA2's report and trailer
// (docs/protocol/legacy-da.md §2-§5).
void run_da1(DeviceContext& ctx);
// DA2 command loop (docs/protocol/legacy-da.md §6-§13); leaves only by exception.
[[noreturn]] void run_da2(DeviceContext& ctx);

namespace replay {
class ReplayDevice;
}

class Device {
 public:
  Device(SimConfig config, Transport transport);  // throws std::runtime_error
  ~Device();
  // Runs the firmware until the link stops (or, with `once`, until the first host session ended).
  // With SimConfig::replay_path it plays the trace instead, until the host left after its end.
  void run(DeviceLink& link);
  bool reset_on_host_close() const { return reset_on_close_; }
  const SimConfig& config() const { return config_; }

 private:
  SimConfig config_;
  bool ready_;
  bool reset_on_close_;
  std::optional<Regions> regions_;  // not with a replay
  std::optional<ExpectedDa> da_;
  std::unique_ptr<Trace> trace_;
  std::unique_ptr<replay::ReplayDevice> replay_;
  FaultState faults_;
};

}  // namespace mtkfs::sim
