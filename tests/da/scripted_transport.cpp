#include "tests/da/scripted_transport.h"

#include <algorithm>
#include <cstdio>

namespace {

std::string hex2(std::uint8_t b) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02X", b);
  return buf;
}

}  // namespace

namespace mtkfs::testing {

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes be16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
Bytes be32(std::uint32_t v) {
  return be16(static_cast<std::uint16_t>(v >> 16)) + be16(static_cast<std::uint16_t>(v));
}
Bytes be64(std::uint64_t v) {
  return be32(static_cast<std::uint32_t>(v >> 32)) + be32(static_cast<std::uint32_t>(v));
}
Bytes repeat(std::uint8_t byte, std::size_t count) { return Bytes(count, byte); }
Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

ScriptedTransport& ScriptedTransport::expect(Bytes bytes, std::string label) {
  if (!bytes.empty()) steps_.push_back(Step{Kind::expect, std::move(bytes), std::move(label)});
  return *this;
}

ScriptedTransport& ScriptedTransport::reply(Bytes bytes) {
  if (!bytes.empty()) steps_.push_back(Step{Kind::reply, std::move(bytes), {}});
  return *this;
}

ScriptedTransport& ScriptedTransport::disconnect() {
  steps_.push_back(Step{Kind::disconnect, {}, "disconnect"});
  return *this;
}

bool ScriptedTransport::expectations_met_before(std::size_t index) const {
  for (std::size_t i = 0; i < index && i < steps_.size(); ++i)
    if (steps_[i].kind == Kind::expect && steps_[i].done < steps_[i].bytes.size()) return false;
  return true;
}

// Reply bytes the device has "already sent": contiguous reply steps from the read position up to
// the first step whose preceding expectations are not all met.
std::size_t ScriptedTransport::available() const {
  std::size_t total = 0;
  for (std::size_t i = read_step_; i < steps_.size(); ++i) {
    if (!expectations_met_before(i)) break;
    if (steps_[i].kind == Kind::disconnect) break;
    if (steps_[i].kind == Kind::reply) total += steps_[i].bytes.size() - steps_[i].done;
  }
  return total;
}

std::string ScriptedTransport::position() const {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    if (s.kind == Kind::expect && s.done < s.bytes.size())
      return "script position: step " + std::to_string(i) + " expects " +
             std::to_string(s.bytes.size() - s.done) + " more bytes (" + s.label + "), next " +
             hex2(s.bytes[s.done]);
  }
  return "script position: all expectations met";
}

void ScriptedTransport::write_all(std::span<const std::uint8_t> data, transport::Millis) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    while (write_step_ < steps_.size() &&
           (steps_[write_step_].kind == Kind::reply ||
            (steps_[write_step_].kind == Kind::expect &&
             steps_[write_step_].done == steps_[write_step_].bytes.size())))
      ++write_step_;
    if (write_step_ < steps_.size() && steps_[write_step_].kind == Kind::disconnect)
      throw transport::DisconnectedError("scripted device disconnected");
    auto sent = [&] {
      return "host sent " + hex2(data[i]) + " (byte " + std::to_string(i) + " of a " +
             std::to_string(data.size()) + "-byte write)";
    };
    if (write_step_ >= steps_.size()) throw ScriptMismatch(sent() + " after the end of the script");
    Step& step = steps_[write_step_];
    if (step.bytes[step.done] != data[i])
      throw ScriptMismatch(sent() + ", step " + std::to_string(write_step_) + " (" + step.label +
                           ") expected " + hex2(step.bytes[step.done]) + " at +" +
                           std::to_string(step.done));
    ++step.done;
  }
}

void ScriptedTransport::read_exact(std::span<std::uint8_t> out, transport::Millis) {
  if (available() < out.size()) {
    // Silence unless the device went away at exactly this point.
    for (std::size_t i = read_step_; i < steps_.size(); ++i) {
      if (!expectations_met_before(i)) break;
      if (steps_[i].kind == Kind::disconnect)
        throw transport::DisconnectedError("scripted device disconnected");
    }
    ++timeouts_;
    throw transport::TimeoutError("scripted device is silent");
  }
  std::size_t filled = 0;
  while (filled < out.size()) {
    Step& step = steps_[read_step_];
    if (step.kind != Kind::reply || step.done == step.bytes.size()) {
      ++read_step_;
      continue;
    }
    const std::size_t n = std::min(out.size() - filled, step.bytes.size() - step.done);
    std::copy_n(step.bytes.begin() + static_cast<std::ptrdiff_t>(step.done), n,
                out.begin() + static_cast<std::ptrdiff_t>(filled));
    step.done += n;
    filled += n;
  }
}

void ScriptedTransport::discard_input() {
  ++discards_;
  for (std::size_t i = read_step_; i < steps_.size(); ++i) {
    if (!expectations_met_before(i) || steps_[i].kind == Kind::disconnect) break;
    if (steps_[i].kind == Kind::reply) steps_[i].done = steps_[i].bytes.size();
  }
}

bool ScriptedTransport::finished() const {
  for (const Step& s : steps_)
    if (s.kind != Kind::disconnect && s.done != s.bytes.size()) return false;
  return true;
}

}  // namespace mtkfs::testing
