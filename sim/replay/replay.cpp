#include "sim/replay/replay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace mtkfs::sim {

void ReplayOutcome::progress(std::uint64_t matched, std::uint64_t total, std::size_t waiting_line) {
  std::lock_guard lock(mutex_);
  matched_ = matched;
  total_ = total;
  waiting_line_ = waiting_line;
}

void ReplayOutcome::pass(std::string summary) {
  std::lock_guard lock(mutex_);
  if (state_ == State::failed) return;
  state_ = State::passed;
  text_ = std::move(summary);
}

void ReplayOutcome::fail(std::string reason) {
  std::lock_guard lock(mutex_);
  if (state_ == State::failed) return;
  state_ = State::failed;
  text_ = std::move(reason);
}

bool ReplayOutcome::passed() const {
  std::lock_guard lock(mutex_);
  return state_ == State::passed;
}

std::string ReplayOutcome::verdict() const {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::passed: return "replay passed: " + text_;
    case State::failed: return "replay failed: " + text_;
    case State::running: break;
  }
  std::string text = "replay incomplete: the host sent " + std::to_string(matched_) + " of the " +
                     std::to_string(total_) + " bytes the trace holds";
  if (waiting_line_ != 0) text += " (waiting at trace line " + std::to_string(waiting_line_) + ")";
  return text;
}

namespace replay {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kReceiveBuffer = 64 * 1024;
constexpr std::size_t kShownBytes = 16;
constexpr std::uint8_t kHandshakeStart = 0xA0;

// A host byte other than the trace's. Not a SessionEvent: run() turns it into the verdict.
struct Mismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < kShownBytes; ++i) {
    if (i) out += ' ';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  if (bytes.size() > kShownBytes) out += " ...";
  return out.empty() ? "nothing" : out;
}

}  // namespace

ReplayDevice::ReplayDevice(Script script, std::shared_ptr<ReplayOutcome> outcome)
    : script_(std::move(script)), outcome_(outcome ? std::move(outcome) : std::make_shared<ReplayOutcome>()) {
  outcome_->progress(0, script_.host_stream.size(), script_.waiting_line(0, 0));
}

std::unique_ptr<ReplayDevice> ReplayDevice::load(const std::filesystem::path& trace_file,
                                                 std::shared_ptr<ReplayOutcome> outcome) {
  ParsedTrace trace = load_trace(trace_file);
  for (const std::string& warning : trace.warnings) spdlog::warn("replay: {}: {}", trace_file.string(), warning);
  Script script = make_script(std::move(trace));
  const auto transfers = std::count_if(script.actions.begin(), script.actions.end(),
                                       [](const DeviceAction& a) { return a.kind != DeviceAction::Kind::reenumerate; });
  spdlog::info("replay: {}: {} host bytes to check, {} device transfers ({} bytes) to play",
               trace_file.string(), script.host_stream.size(), transfers, script.device_bytes);
  return std::make_unique<ReplayDevice>(std::move(script), std::move(outcome));
}

void ReplayDevice::run(DeviceLink& link) {
  try {
    try {
      play(link);
      outcome_->pass(summary());
      spdlog::info("replay passed: {}", summary());
      if (!host_gone_) wait_until_host_leaves(link, true);
    } catch (const Mismatch& e) {
      spdlog::error("replay failed: {}; the device is mute until the host disconnects", e.what());
      outcome_->fail(e.what());
      wait_until_host_leaves(link, false);
    }
  } catch (const HostGone&) {
  } catch (const LinkStopped&) {
  }
}

void ReplayDevice::play(DeviceLink& link) {
  std::vector<std::uint8_t> buffer(kReceiveBuffer);
  perform_due(link);
  while (matched_ < script_.host_stream.size()) {
    const std::size_t n = receive(link, buffer);
    take(link, std::span<const std::uint8_t>(buffer).first(n));
    outcome_->progress(matched_, script_.host_stream.size(), script_.waiting_line(matched_, next_action_));
  }
  perform_due(link);
}

std::size_t ReplayDevice::receive(DeviceLink& link, std::span<std::uint8_t> buffer) {
  for (;;) {
    try {
      const std::size_t n = link.read_some(buffer, Clock::now() + 1s);
      if (n > 0) return n;
    } catch (const HostGone&) {
      if (host_may_leave_) continue;  // it comes back after the re-enumeration
      host_left_early();
    }
  }
}

void ReplayDevice::host_left_early() const {
  const std::size_t line = script_.waiting_line(matched_, next_action_);
  throw Mismatch("the host closed the link after " + std::to_string(matched_) + " of the " +
                  std::to_string(script_.host_stream.size()) + " bytes the trace holds (trace line " +
                  std::to_string(line) + " comes next)");
}

// Compares `got` with the host stream up to the next device action at a time, so that every
// action goes out as soon as the bytes before it are in.
void ReplayDevice::take(DeviceLink& link, std::span<const std::uint8_t> got) {
  const std::vector<std::uint8_t>& expected = script_.host_stream;
  std::size_t pos = 0;
  while (pos < got.size()) {
    if (matched_ == expected.size()) mismatch(got.subspan(pos));
    std::uint64_t stop = expected.size();
    if (next_action_ < script_.actions.size()) stop = std::min(stop, script_.actions[next_action_].after_host_bytes);
    const std::size_t span = static_cast<std::size_t>(std::min<std::uint64_t>(got.size() - pos, stop - matched_));
    const auto from = got.begin() + static_cast<std::ptrdiff_t>(pos);
    const auto differs = std::mismatch(from, from + static_cast<std::ptrdiff_t>(span),
                                       expected.begin() + static_cast<std::ptrdiff_t>(matched_)).first;
    const auto same = static_cast<std::size_t>(differs - from);
    matched_ += same;
    pos += same;
    if (same > 0) host_may_leave_ = false;
    perform_due(link);
    if (same == span) continue;
    if (got[pos] == kHandshakeStart && script_.leading_a0s > 0 && matched_ == script_.leading_a0s) {
      answer_handshake_retry(link);
      ++pos;
      continue;
    }
    mismatch(got.subspan(pos));
  }
}

// A host that leaves while the device still sends is fine once it sent everything (it need not read
// what the recorded host read last) and after a re-enumeration; anywhere else it left too early.
void ReplayDevice::perform_due(DeviceLink& link) {
  while (next_action_ < script_.actions.size() && script_.actions[next_action_].after_host_bytes <= matched_) {
    try {
      perform(link, script_.actions[next_action_++]);
    } catch (const HostGone&) {
      if (host_may_leave_) continue;
      if (matched_ < script_.host_stream.size()) host_left_early();
      host_gone_ = true;
      next_action_ = script_.actions.size();
    }
  }
}

void ReplayDevice::perform(DeviceLink& link, const DeviceAction& action) {
  switch (action.kind) {
    case DeviceAction::Kind::send:
      link.send_unit(action.bytes);
      ++units_;
      return;
    case DeviceAction::Kind::zero_length_packet:
      link.send_zero_length_packet();
      ++zero_length_;
      return;
    case DeviceAction::Kind::reenumerate:
      spdlog::info("replay: the host reconnected here (trace line {}): the device re-enumerates", action.line);
      link.disconnect(true);
      host_may_leave_ = true;
      return;
  }
}

void ReplayDevice::answer_handshake_retry(DeviceLink& link) {
  ++handshake_retries_;
  spdlog::info("replay: handshake retry (A0 again at host offset {}): answering as recorded", matched_);
  for (std::size_t i = script_.retry_begin; i < script_.retry_end; ++i) perform(link, script_.actions[i]);
}

void ReplayDevice::mismatch(std::span<const std::uint8_t> got) const {
  const std::vector<std::uint8_t>& expected = script_.host_stream;
  if (matched_ >= expected.size()) {
    throw Mismatch("the host sent more than the trace holds: at host offset " + std::to_string(matched_) +
                   " (after its last byte) it sent " + hex(got));
  }
  const HostRecord* record = script_.record_at(matched_);
  const std::uint64_t in_record = record ? matched_ - record->offset : 0;
  const std::string where =
      record ? "trace line " + std::to_string(record->line) + ": byte " + std::to_string(in_record) + " of a " +
                   std::to_string(record->length) + "-byte H>D record, step \"" + record->step + "\""
             : std::string("no record");
  throw Mismatch("host byte at offset " + std::to_string(matched_) + " differs from the trace (" + where +
                 "): expected " + hex(std::span(expected).subspan(static_cast<std::size_t>(matched_))) + ", got " +
                 hex(got));
}

void ReplayDevice::wait_until_host_leaves(DeviceLink& link, bool complete) {
  link.set_muted(true);  // a muted device starts over when the host leaves: HostGone ends run()
  std::vector<std::uint8_t> buffer(kReceiveBuffer);
  for (;;) {
    const std::size_t n = link.read_some(buffer, Clock::now() + 1s);
    if (n == 0 || !complete) continue;
    complete = false;
    try {
      mismatch(std::span<const std::uint8_t>(buffer).first(n));
    } catch (const Mismatch& e) {
      spdlog::error("replay failed: {}", e.what());
      outcome_->fail(e.what());
    }
  }
}

std::string ReplayDevice::summary() const {
  return "the host sent all " + std::to_string(script_.host_stream.size()) + " bytes of the trace as recorded; " +
         std::to_string(units_ + zero_length_) + " device transfers played (" + std::to_string(zero_length_) +
         " of them zero-length), " + std::to_string(handshake_retries_) + " handshake retries answered";
}

}  // namespace replay
}  // namespace mtkfs::sim
