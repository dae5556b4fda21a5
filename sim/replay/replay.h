// `mtkfs-sim --replay FILE`: instead of the firmware, the device plays the device side of an
// `mtkfs --trace` file and checks what the host sends (docs/trace-format.md, "Replay").
//
// Strict on bytes, tolerant of timing and of how the host cuts its bytes into transfers: the host's
// bytes must equal the recorded ones as one stream; each recorded device transfer goes out as one
// unit (a zero-length one as a zero-length packet) as soon as the host has sent everything recorded
// before it. The first differing host byte fails the replay, naming its offset in the host stream and
// its trace line, and the device goes mute. Runs on any DeviceLink (socket, pty, USB model).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "sim/link.h"
#include "sim/replay/script.h"

namespace mtkfs::sim {

// The verdict, shared between the replaying device's thread and whoever reports it. Thread-safe.
class ReplayOutcome {
 public:
  void progress(std::uint64_t matched, std::uint64_t total, std::size_t waiting_line);
  void pass(std::string summary);
  void fail(std::string reason);  // the first failure stays
  bool passed() const;
  // "replay passed: ...", "replay failed: ..." or "replay incomplete: ..." (stopped before the end).
  std::string verdict() const;

 private:
  enum class State { running, passed, failed };
  mutable std::mutex mutex_;
  State state_ = State::running;
  std::string text_;
  std::uint64_t matched_ = 0;
  std::uint64_t total_ = 0;
  std::size_t waiting_line_ = 0;
};

namespace replay {

class ReplayDevice {
 public:
  ReplayDevice(Script script, std::shared_ptr<ReplayOutcome> outcome);
  // Loads and checks the trace (std::runtime_error naming the file and line).
  static std::unique_ptr<ReplayDevice> load(const std::filesystem::path& trace_file,
                                            std::shared_ptr<ReplayOutcome> outcome);

  // Plays the trace; after its end (or a failure) waits, mute, until the host leaves or the link
  // stops. Host bytes after the end of the trace fail the replay too.
  void run(DeviceLink& link);

 private:
  void play(DeviceLink& link);
  std::size_t receive(DeviceLink& link, std::span<std::uint8_t> buffer);
  void take(DeviceLink& link, std::span<const std::uint8_t> got);
  void perform_due(DeviceLink& link);
  void perform(DeviceLink& link, const DeviceAction& action);
  void answer_handshake_retry(DeviceLink& link);
  [[noreturn]] void mismatch(std::span<const std::uint8_t> got) const;
  [[noreturn]] void host_left_early() const;
  void wait_until_host_leaves(DeviceLink& link, bool complete);
  std::string summary() const;

  Script script_;
  std::shared_ptr<ReplayOutcome> outcome_;
  std::uint64_t matched_ = 0;
  std::size_t next_action_ = 0;
  std::uint64_t units_ = 0;
  std::uint64_t zero_length_ = 0;
  std::uint64_t handshake_retries_ = 0;
  bool host_may_leave_ = false;  // after a re-enumeration, until the host's next byte
  bool host_gone_ = false;       // it left after sending everything, while the device still sent
};

}  // namespace replay
}  // namespace mtkfs::sim
