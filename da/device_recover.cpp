// After a lost link: wait for the device to come back, start a new session, make sure it is the same
// device, and let the interrupted command start again (Device::run_command). The cache above never
// notices, except that its I/O waited: dirty data stays dirty and is written to the device that
// came back, and nothing is written to another one.
#include <spdlog/spdlog.h>

#include <thread>

#include "da/bytes.h"
#include "da/device.h"
#include "da/errors.h"

namespace mtkfs::da {
namespace {

using Clock = LinkStatus::Clock;
using std::chrono::milliseconds;

// Between two tries to find the device again: short enough that a re-plugged device is seen at once,
// long enough not to spin on a port that is not there.
constexpr milliseconds kRetryPause{250};

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

milliseconds left_until(Clock::time_point deadline) {
  return std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

std::string whole_seconds(milliseconds span) { return std::to_string((span.count() + 999) / 1000); }

const HwPartition kRegions[] = {HwPartition::boot1, HwPartition::boot2, HwPartition::rpmb, HwPartition::gp1,
                                HwPartition::gp2,   HwPartition::gp3,   HwPartition::gp4,  HwPartition::user};

}  // namespace

void Device::update_status(const std::function<void(LinkStatus&)>& change) {
  std::lock_guard lock(status_mutex_);
  change(status_);
}

LinkStatus Device::link_status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void Device::mark_lost(const std::string& reason) {
  state_ = State::lost;
  lost_reason_ = reason;
  resumed_at_.reset();
  update_status([&](LinkStatus& s) {
    s.state = LinkStatus::State::lost;
    s.reason = reason;
  });
}

void Device::note_resumed() {
  const Clock::time_point now = Clock::now();
  const double outage = seconds_between(lost_at_, now);
  const double resume = seconds_between(*resumed_at_, now);
  resumed_at_.reset();
  update_status([&](LinkStatus& s) {
    s.last_outage_seconds = outage;
    s.last_resume_seconds = resume;
  });
  spdlog::info("I/O flows again: {:.1f} s after the link was lost, {:.2f} s after the device answered", outage,
               resume);
}

void Device::open_link(milliseconds wait) {
  if (options_.reopen)
    link_ = options_.reopen(wait);
  else
    link_ = open_();
  if (!link_) throw DeviceError("no transport");
  channel_.emplace(*link_);
}

// The CID names the chip; sizes and hw code catch a CID the DA could not read (all zero, say).
void Device::refuse_if_other_device(const FlashInfo& now) const {
  std::string differences;
  const FlashReport& was = info_.report;
  if (now.report.emmc_cid != was.emmc_cid)
    differences += "; eMMC CID " + bytes::hex(now.report.emmc_cid) + ", expected " + bytes::hex(was.emmc_cid);
  if (now.preloader.hw_code != info_.preloader.hw_code)
    differences += "; hw code " + bytes::hex_number(now.preloader.hw_code, 4) + ", expected " +
                   bytes::hex_number(info_.preloader.hw_code, 4);
  for (HwPartition part : kRegions) {
    if (now.partition_size(part) == info_.partition_size(part)) continue;
    differences += "; " + partition_name(part) + " " + bytes::hex_number(now.partition_size(part), 1) +
                   " bytes, expected " + bytes::hex_number(info_.partition_size(part), 1);
  }
  if (!differences.empty())
    throw OtherDeviceError("another device came back in place of the one mounted (" + differences.substr(2) +
                        "); nothing was written to it. Plug in the device that was mounted and mount it again");
}

void Device::recover(const std::string& reason) {
  lost_at_ = Clock::now();
  const Clock::time_point deadline = lost_at_ + options_.reconnect_wait;
  release_link();
  update_status([&](LinkStatus& s) {
    s.state = LinkStatus::State::reconnecting;
    s.reason = reason;
    s.deadline = deadline;
  });
  spdlog::warn("device lost ({}); hold Volume Down + Play and plug it in again within {} s to continue", reason,
               whole_seconds(options_.reconnect_wait));

  std::string last_failure = "it was not found";
  while (Clock::now() < deadline) {
    try {
      open_link(left_until(deadline));
      const Clock::time_point answered = Clock::now();
      // A battery-powered device keeps its DA running while the cable is out: continue that one.
      if (!attach_running_da(&info_)) {
        check_boot_stage();
        FlashInfo now = bring_up();
        refuse_if_other_device(now);
        now.connection = channel_->describe();
        info_ = std::move(now);
      }
      resumed_at_ = answered;
      update_status([&](LinkStatus& s) {
        s.state = LinkStatus::State::connected;
        ++s.reconnects;
      });
      spdlog::warn("device back on {} after {:.1f} s (the same eMMC, CID {}); resuming", info_.connection,
                   seconds_between(lost_at_, Clock::now()), bytes::hex(info_.report.emmc_cid));
      return;
    } catch (const OtherDeviceError& e) {
      release_link();
      spdlog::error("{}", e.what());
      mark_lost(e.what());
      throw;
    } catch (const DaFileError& e) {  // another chip (the same one found its entry before)
      release_link();
      mark_lost(e.what());
      throw LinkLostError(std::string("the device that came back cannot be used: ") + e.what());
    } catch (const std::exception& e) {
      release_link();
      last_failure = e.what();
    }
    spdlog::debug("reconnect attempt failed: {}", last_failure);
    std::this_thread::sleep_for(std::min(kRetryPause, left_until(deadline)));
  }
  const std::string gave_up = reason + "; the device did not come back within " +
                              whole_seconds(options_.reconnect_wait) + " s (last try: " + last_failure + ")";
  spdlog::error("device lost: {}", gave_up);
  mark_lost(gave_up);
  throw LinkLostError(gave_up);
}

}  // namespace mtkfs::da
