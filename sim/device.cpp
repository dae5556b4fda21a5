#include "sim/device.h"

#include <spdlog/spdlog.h>

#include "sim/profile.h"
#include "sim/replay/replay.h"

namespace mtkfs::sim {

Device::Device(SimConfig config, Transport transport)
    : config_(std::move(config)),
      ready_(config_.ready.value_or(transport == Transport::usb)),
      reset_on_close_(config_.reset_on_host_close.value_or(transport == Transport::stream)) {
  if (config_.replay_path) {
    replay_ = replay::ReplayDevice::load(*config_.replay_path, config_.replay_outcome);
    return;
  }
  regions_.emplace(config_);
  if (config_.da_file) {
    da_ = load_expected_da(*config_.da_file, {profile::kHwCode, profile::kHwVer, profile::kSwVer});
    spdlog::info("checking uploads against {} (stage 1: {} bytes, stage 2: {} bytes)", config_.da_file->string(),
                 da_->stage1.bytes.size(), da_->stage2.bytes.size());
  }
  if (config_.trace_path) trace_ = std::make_unique<Trace>(*config_.trace_path);
}

Device::~Device() = default;

void Device::run(DeviceLink& link) {
  if (replay_) return replay_->run(link);
  DeviceIo io(link, config_, faults_, trace_.get());
  DaState da_state;
  bool resume_da2 = false;
  for (;;) {
    DeviceContext ctx{config_, io, *regions_, da_ ? &*da_ : nullptr, faults_, ready_, da_state};
    bool session_ended = false;
    try {
      try {
        io.begin_session();
        if (!resume_da2) {
          da_state = DaState{};
          da_state.high_speed = !config_.speed_switch;
          io.note("power-on: Preloader");
          run_preloader(ctx);
          run_da1(ctx);
        } else {
          io.note("DA2 re-enumerated");
          io.enter_da();
          io.enable_reply_delay();
        }
        resume_da2 = false;
        run_da2(ctx);
      } catch (const ProtocolViolation& e) {
        spdlog::error("strict: {}; device is mute until the host disconnects", e.what());
        io.note(std::string("mute: ") + e.what());
        io.mute_until_host_gone();
      } catch (const DeviceHalted& e) {
        spdlog::warn("device halted: {}; mute until the host disconnects", e.what());
        io.note(std::string("halted: ") + e.what());
        io.mute_until_host_gone();
      } catch (const std::exception& e) {
        // Image I/O failures (and bound checks that cannot fail) end here: never answer with wrong bytes.
        spdlog::critical("device error: {}; device is mute until the host disconnects", e.what());
        io.note(std::string("device error: ") + e.what());
        io.mute_until_host_gone();
      }
    } catch (const HostGone&) {
      spdlog::info("host closed the port; starting over in a fresh Preloader");
      io.note("host closed");
      resume_da2 = false;
      session_ended = true;
    } catch (const DeviceDisconnected& e) {
      resume_da2 = e.keep_da2;
      session_ended = !e.keep_da2;
      spdlog::info("device left the bus; {}", resume_da2 ? "DA2 keeps running" : "next session: fresh Preloader");
    } catch (const ReenterPreloader&) {
      spdlog::warn("fault: dropping to a fresh Preloader mid-session");
      io.note("fault: re-enter Preloader");
      resume_da2 = false;
    } catch (const LinkStopped&) {
      return;
    }
    if (session_ended && config_.once) return;
  }
}

}  // namespace mtkfs::sim
