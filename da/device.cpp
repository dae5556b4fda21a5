#include "da/device.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "da/bytes.h"
#include "da/da_boot.h"
#include "da/errors.h"
#include "da/preloader.h"
#include "da/session_record.h"

namespace mtkfs::da {

Device::Device(TransportFactory open, const std::filesystem::path& da_file, DeviceOptions options)
    : Device(std::move(open), load_da_file(da_file), std::move(options)) {}

Device::Device(TransportFactory open, DaFile da_file, DeviceOptions options)
    : open_(std::move(open)), da_(DaSource(da_file)), options_(std::move(options)) {
  for (const std::string& warning : da_file.warnings) spdlog::warn("DA file {}: {}", da_file.name, warning);
}

Device::Device(TransportFactory open, DaSource da, DeviceOptions options)
    : open_(std::move(open)), da_(std::move(da)), options_(std::move(options)) {}

Device::~Device() = default;

const FlashInfo& Device::connect() {
  if (state_ == State::connected) throw DeviceError("already connected to " + info_.connection);
  release_link();
  try {
    link_ = open_();
  } catch (const transport::TransportError& e) {
    throw DeviceError(std::string("cannot open the device: ") + e.what());
  }
  if (!link_) throw DeviceError("cannot open the device: no transport");
  channel_.emplace(*link_);
  try {
    if (!attach_running_da(nullptr)) {
      check_boot_stage();
      info_ = bring_up();
    }
    if (!options_.session_record.empty()) save_session_record(options_.session_record, info_.connection, info_);
  } catch (...) {
    release_link();
    state_ = State::idle;
    throw;
  }
  state_ = State::connected;
  lost_reason_.clear();
  update_status([](LinkStatus& s) { s.state = LinkStatus::State::connected; });
  return info_;
}

void Device::release_link() {
  commands_.reset();
  channel_.reset();
  link_.reset();
}

FlashInfo Device::bring_up() {
  const Timing& t = options_.timing;
  FlashInfo info;
  info.connection = channel_->describe();

  PreloaderClient preloader(*channel_, t);
  spdlog::info("Handshake with the Preloader on {}", info.connection);
  preloader.handshake();
  info.preloader = preloader.identify();
  const PreloaderInfo& pl = info.preloader;
  spdlog::info("Device: hw code {}, hw ver {}, sw ver {}", bytes::hex_number(pl.hw_code, 4),
               bytes::hex_number(pl.hw_ver, 4), bytes::hex_number(pl.sw_ver, 4));

  const bool first_choice = !da_.found();
  const DaFile& file = da_.choose(pl.hw_code, pl.hw_ver, pl.sw_ver);
  if (first_choice && da_.found()) {  // a searched file, just chosen: say which, once
    const std::string line = "Using the Download Agent " + *da_.found();
    if (options_.notice) options_.notice(line);
    else spdlog::info("{}", line);
    for (const std::string& warning : file.warnings) spdlog::warn("DA file {}: {}", file.name, warning);
  }
  const DaSelection da = select_da_entry(file, pl.hw_code, pl.hw_ver, pl.sw_ver);
  if (da.rule_disagreement)
    spdlog::warn("DA file {}: {} (mtkfs uses regions 1 and 2, like mtkclient)", file.name,
                 *da.rule_disagreement);
  info.da_file = DaFileSummary{file.name,          file.description, da.entry.index,
                               da.stage1.load_address, da.stage1.length,     da.stage2.load_address,
                               da.stage2.length};

  spdlog::info("Uploading DA stage 1 ({} bytes)", da.stage1_image.size());
  preloader.send_da(da.stage1.load_address, da.stage1_image, da.stage1.signature_length,
                    options_.upload_progress);
  preloader.jump_da(da.stage1.load_address);

  DaBoot boot(*channel_, t);
  info.da1 = boot.sync();
  boot.send_stage2_config(pl.brom_ver, pl.bl_ver);
  spdlog::info("Uploading DA stage 2 ({} bytes)", da.stage2_image.size());
  boot.upload_stage2(da.stage2.load_address, da.stage2_image, options_.upload_progress);
  info.report = boot.read_report(info.trailer);
  if (info.trailer.variant == TrailerVariant::plain && info.trailer.soc_ok != wire::da::kSocOk)
    spdlog::warn("DA report trailer ends with {} instead of SOC_OK C1",
                 bytes::hex_number(info.trailer.soc_ok, 2));
  if (info.report.emmc_ret != 0)
    throw DeviceError("the DA found no usable eMMC (emmc_ret " +
                      bytes::hex_number(info.report.emmc_ret, 8) + ")");

  commands_.emplace(*channel_, t, options_.read_retries);
  // No real trailer was ever captured (docs/protocol/legacy-da.md §5.3): rather than give up on one
  // we do not know, drop whatever else the DA sent and go on if it then answers 72 cleanly.
  if (info.trailer.variant == TrailerVariant::unknown) {
    const std::string what =
        "the DA2 flash report trailer matches neither known layout (5A … C1, or 4 bytes + "
        "5A … C1): got " + bytes::hex(info.trailer.raw);
    spdlog::warn("{}; resynchronising with USB_CHECK_STATUS (72)", what);
    commands_->resynchronise(what);
  }
  info.usb_speed = commands_->ensure_high_speed([this] { reconnect(); });
  info.connection = channel_->describe();
  return info;
}

// The USB product id already tells BROM and a running DA apart; say so before any handshake.
void Device::check_boot_stage() const {
  switch (link_->boot_stage_hint()) {
    case transport::BootStage::brom:
      throw DeviceError(
          "device is in BROM mode (USB id 0e8d:0003), not supported: mtkfs needs the "
          "Preloader download mode (USB id 0e8d:2000)");
    case transport::BootStage::da:
      throw DeviceError(
          "the device is already running a Download Agent (USB id 0e8d:2001) from an "
          "earlier session that this host has no record of (or that no longer answers), so "
          "its flash sizes are unknown: hold the power key about 10 s to reset the device "
          "(unplugging does not stop the DA, the battery keeps it running), then enter "
          "download mode again");
    default: return;
  }
}

// A DA left running by an earlier mtkfs (killed, or --end stay) ignores the Preloader handshake, and it
// sends its flash report only once, at its start: it is continued with what this host knew of it (after
// a lost link: `known`; else the session record). Without either, a DA can only be reported.
bool Device::attach_running_da(const FlashInfo* known) {
  const bool da_stage = link_->boot_stage_hint() == transport::BootStage::da;
  std::optional<SessionRecord> record;
  std::string record_error;
  if (!known && !options_.session_record.empty())
    record = load_session_record(options_.session_record, record_error);
  if (!known && !record && !da_stage) return false;  // nothing to continue: no probe, no delay
  if (!known && !record) {
    if (!record_error.empty()) spdlog::warn("session record unusable: {}", record_error);
    return false;  // check_boot_stage() says what to do
  }
  DaCommands probe(*channel_, options_.timing, options_.read_retries);
  if (!probe.find_running_da()) return false;  // a Preloader after all: the usual session
  FlashInfo info = known ? *known : record->info;
  info.connection = channel_->describe();
  commands_.emplace(*channel_, options_.timing, options_.read_retries);
  info_ = std::move(info);
  const std::string line = "Continuing the Download Agent that is still running on " + info_.connection +
                           (known ? std::string() : " (left by an earlier mtkfs; recorded in " +
                                                        options_.session_record.string() + ")");
  if (!known && options_.notice) options_.notice(line);
  spdlog::info("{}; eMMC CID {}, user area {} bytes", line, bytes::hex(info_.report.emmc_cid),
               info_.partition_size(HwPartition::user));
  return true;
}

// After 70 01 the DA drops off the bus and comes back; the factory waits for it as configured.
void Device::reconnect() {
  spdlog::info("The DA switches USB speed; reconnecting");
  link_.reset();
  std::this_thread::sleep_for(options_.timing.speed_switch_settle);
  try {
    link_ = open_();
  } catch (const transport::TransportError& e) {
    throw LinkLostError(std::string("the device did not come back after the USB speed switch: ") +
                        e.what());
  }
  if (!link_) throw LinkLostError("the device did not come back after the USB speed switch");
  channel_->rebind(*link_);
}

std::uint64_t Device::size(HwPartition part) const {
  return state_ == State::connected ? info_.partition_size(part) : 0;
}

void Device::check_range(HwPartition part, std::uint64_t offset, std::uint64_t length,
                         const char* action) const {
  const std::uint64_t part_size = info_.partition_size(part);
  const std::string what = std::string(action) + " of " + partition_name(part) + " at " +
                           bytes::hex_number(offset, 1) + " length " + bytes::hex_number(length, 1);
  if (part_size == 0) throw DeviceError(what + ": the device has no " + partition_name(part));
  if (offset % wire::kSectorSize || length % wire::kSectorSize)
    throw DeviceError(what + ": offset and length must be multiples of 512");
  if (offset > part_size || length > part_size - offset)
    throw DeviceError(what + ": beyond the end of the partition (" +
                      bytes::hex_number(part_size, 1) + " bytes)");
}

// A command cut by a lost link is repeated from its start once the same device is back (reads and
// writes of whole ranges are idempotent); a link that keeps dropping inside one command ends it.
constexpr int kMaxResumesPerCommand = 3;

template <typename Fn>
void Device::run_command(Fn&& fn) {
  if (state_ == State::lost) throw LinkLostError(lost_reason_);
  if (state_ != State::connected) throw DeviceError("the device is not connected");
  for (int resumes = 0;; ++resumes) {
    try {
      fn();
      if (resumed_at_) note_resumed();
      return;
    } catch (const LinkLostError& e) {
      if (options_.reconnect_wait <= std::chrono::milliseconds::zero() || resumes == kMaxResumesPerCommand) {
        mark_lost(e.what());
        throw;
      }
      recover(e.what());  // back as the same device, or LinkLostError
    }
  }
}

void Device::read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) {
  run_command([&] {
    check_range(part, offset, out.size(), "read");
    if (!out.empty()) commands_->read(part, offset, out);
  });
}

void Device::write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) {
  run_command([&] {
    check_range(part, offset, data.size(), "write");
    if (!data.empty()) commands_->write(part, offset, data);
  });
}

std::string Device::describe() const {
  if (state_ == State::connected) return format_flash_info(info_);
  if (state_ == State::lost) return "MediaTek device (session lost: " + lost_reason_ + ")";
  return "MediaTek device (not connected; DA file " + da_.name() + ")";
}

void Device::close(EndMode mode) {
  if (state_ == State::connected && mode != EndMode::stay) {
    const char* what = mode == EndMode::reboot ? "reboot" : "power off";
    try {
      if (mode == EndMode::reboot)
        commands_->reboot();
      else
        commands_->power_off();
      if (!options_.session_record.empty()) remove_session_record(options_.session_record);
    } catch (const DeviceError& e) {
      mark_lost(e.what());
      release_link();
      throw DeviceError(std::string("could not ") + what + " the device: " + e.what());
    }
  } else if (state_ == State::lost && mode != EndMode::stay) {
    throw LinkLostError("cannot end the session as asked, it was lost: " + lost_reason_);
  }
  release_link();
  if (state_ == State::connected) state_ = State::closed;
}

}  // namespace mtkfs::da
