#include "sim/replay/script.h"

#include <algorithm>
#include <string_view>

namespace mtkfs::sim::replay {
namespace {

constexpr std::uint8_t kHandshakeStart = 0xA0;

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

void add_reenumerations(const ParsedTrace& trace, std::vector<bool>& reenumerate_at) {
  bool open_later = false;
  for (std::size_t i = trace.entries.size(); i-- > 0;) {
    const TraceEntry& e = trace.entries[i];
    if (e.kind != TraceEntry::Kind::note) continue;
    if (starts_with(e.text, "open ")) open_later = true;
    if (starts_with(e.text, "close ") && open_later) {
      reenumerate_at[i] = true;
      open_later = false;
    }
  }
}

void find_handshake_answer(Script& script) {
  const auto& host = script.host_stream;
  const auto first_other = std::find_if(host.begin(), host.end(), [](std::uint8_t b) { return b != kHandshakeStart; });
  script.leading_a0s = static_cast<std::uint64_t>(first_other - host.begin());
  if (script.leading_a0s == 0) return;
  std::size_t i = 0;
  while (i < script.actions.size() && script.actions[i].after_host_bytes < script.leading_a0s) ++i;
  script.retry_begin = i;
  while (i < script.actions.size() && script.actions[i].after_host_bytes == script.leading_a0s &&
         script.actions[i].kind != DeviceAction::Kind::reenumerate)
    ++i;
  script.retry_end = i;
}

}  // namespace

const HostRecord* Script::record_at(std::uint64_t offset) const {
  const auto after = std::upper_bound(host_records.begin(), host_records.end(), offset,
                                      [](std::uint64_t o, const HostRecord& r) { return o < r.offset; });
  if (after == host_records.begin()) return nullptr;
  const HostRecord& r = *(after - 1);
  return offset < r.offset + r.length ? &r : nullptr;
}

std::size_t Script::waiting_line(std::uint64_t matched, std::size_t done) const {
  std::size_t line = 0;
  if (const HostRecord* r = record_at(matched)) line = r->line;
  if (done < actions.size() && (line == 0 || actions[done].line < line)) line = actions[done].line;
  return line;
}

Script make_script(ParsedTrace trace) {
  Script script;
  std::vector<bool> reenumerate_at(trace.entries.size(), false);
  add_reenumerations(trace, reenumerate_at);
  for (std::size_t i = 0; i < trace.entries.size(); ++i) {
    TraceEntry& e = trace.entries[i];
    const std::uint64_t now = script.host_stream.size();
    if (e.kind == TraceEntry::Kind::host_bytes) {
      if (e.bytes.empty()) continue;  // a zero-length OUT transfer carries nothing a stream can see
      script.host_records.push_back({now, e.bytes.size(), e.line, e.text});
      script.host_stream.insert(script.host_stream.end(), e.bytes.begin(), e.bytes.end());
    } else if (e.kind == TraceEntry::Kind::device_bytes) {
      DeviceAction a;
      a.kind = e.bytes.empty() ? DeviceAction::Kind::zero_length_packet : DeviceAction::Kind::send;
      a.after_host_bytes = now;
      a.line = e.line;
      script.device_bytes += e.bytes.size();
      a.bytes = std::move(e.bytes);
      script.actions.push_back(std::move(a));
    } else if (reenumerate_at[i]) {
      script.actions.push_back({DeviceAction::Kind::reenumerate, now, e.line, {}});
    }
  }
  find_handshake_answer(script);
  return script;
}

}  // namespace mtkfs::sim::replay
