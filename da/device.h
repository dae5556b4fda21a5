// The device facade: a Preloader + legacy DA session presented as a BlockDevice.
//
// THREAD MODEL: none. A Device is not thread-safe by design — the DA executes one command at a
// time and a byte stream cannot be shared, so exactly one thread (cache/'s I/O thread) may call
// it. Callers serialise; the Device never locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "da/block_device.h"
#include "da/channel.h"
#include "da/da_commands.h"
#include "da/da_file.h"
#include "da/da_source.h"
#include "da/flash_info.h"
#include "da/progress.h"
#include "da/timing.h"
#include "transport/transport.h"

namespace mtkfs::da {

// How a session ends (docs/protocol/legacy-da.md §12-§13).
enum class EndMode {
  stay,       // send nothing: the DA keeps running (over USB it then ignores a new handshake)
  reboot,     // DB 00000000 00 00 00 01: immediate reset into a normal boot
  power_off,  // D9 + mode 0 (effect on MT8590 not established)
};

struct DeviceOptions {
  Timing timing;
  // Re-reads of a chunk whose checksum failed, per offset, before the read fails.
  int read_retries = 3;
  // Optional: told how far each DA upload stage is (connect() calls it on the calling thread).
  UploadProgressFn upload_progress = nullptr;
  // Optional: told, in one line, which DA file a search found (DaSource); else it is logged.
  transport::NoticeFn notice = nullptr;
  // A lost link is waited for this long (the user plugs the device in again in download mode)
  // before the command fails; meanwhile the command is held. Zero: fail at once.
  std::chrono::milliseconds reconnect_wait{0};
  // Opens the link again after a loss, waiting at most `wait` for the device to appear. Unset:
  // the TransportFactory, tried again and again until reconnect_wait has passed.
  std::function<std::unique_ptr<transport::Transport>(std::chrono::milliseconds wait)> reopen = nullptr;
  // Where this link's session record lives (da/session_record.h): written once a session is up, so
  // that a later mtkfs can continue the DA if this one dies; empty: no record.
  std::filesystem::path session_record = {};
};

class Device final : public BlockDevice {
 public:
  // Opens the link; called once per connect() and again after a DA USB speed switch.
  using TransportFactory = std::function<std::unique_ptr<transport::Transport>()>;

  // Loads the DA file right away, so a bad --da fails before any device wait (DaFileError).
  Device(TransportFactory open, const std::filesystem::path& da_file, DeviceOptions options = {});
  Device(TransportFactory open, DaFile da_file, DeviceOptions options = {});
  // A searched DA: the file is chosen at the first connect, by the device's hw code.
  Device(TransportFactory open, DaSource da, DeviceOptions options = {});
  ~Device() override;

  // Handshake -> DA upload -> report -> USB status. Throws DaFileError when the file has no
  // entry for this chip, DeviceError/LinkLostError otherwise. May be retried after a failure.
  const FlashInfo& connect();

  bool connected() const { return state_ == State::connected; }
  const FlashInfo& info() const { return info_; }

  std::uint64_t size(HwPartition part) const override;
  void read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) override;
  void write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) override;
  std::string describe() const override;
  LinkStatus link_status() const override;

  // Ends the session and releases the link. `stay` is also what happens on destruction.
  void close(EndMode mode);

 private:
  enum class State { idle, connected, lost, closed };

  void check_boot_stage() const;
  bool attach_running_da(const FlashInfo* known);
  FlashInfo bring_up();
  void reconnect();
  void release_link();
  void open_link(std::chrono::milliseconds wait);
  void recover(const std::string& reason);
  void refuse_if_other_device(const FlashInfo& now) const;
  void mark_lost(const std::string& reason);
  void note_resumed();
  void update_status(const std::function<void(LinkStatus&)>& change);
  void check_range(HwPartition part, std::uint64_t offset, std::uint64_t length,
                   const char* action) const;
  template <typename Fn>
  void run_command(Fn&& fn);

  TransportFactory open_;
  DaSource da_;
  DeviceOptions options_;
  std::unique_ptr<transport::Transport> link_;
  std::optional<Channel> channel_;
  std::optional<DaCommands> commands_;
  FlashInfo info_;
  State state_ = State::idle;
  std::string lost_reason_;
  // When the last recover() had the device answering again (for LinkStatus::last_resume_seconds).
  std::optional<LinkStatus::Clock::time_point> resumed_at_;
  LinkStatus::Clock::time_point lost_at_{};

  mutable std::mutex status_mutex_;  // guards status_ only: link_status() is called from other threads
  LinkStatus status_;
};

}  // namespace mtkfs::da
