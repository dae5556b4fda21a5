// A parsed trace turned into what the replaying device needs: the host's bytes as one stream, and
// the device's transfers, each due once the host has sent the bytes recorded before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/replay/trace_file.h"

namespace mtkfs::sim::replay {

struct DeviceAction {
  enum class Kind { send, zero_length_packet, reenumerate };
  Kind kind = Kind::send;
  std::uint64_t after_host_bytes = 0;  // due once this much of the host stream matched
  std::size_t line = 0;
  std::vector<std::uint8_t> bytes;     // `send` only
};

// One H>D record, located in the host stream.
struct HostRecord {
  std::uint64_t offset = 0;
  std::size_t length = 0;
  std::size_t line = 0;
  std::string step;
};

struct Script {
  std::vector<std::uint8_t> host_stream;  // every H>D byte, in order, boundaries dropped
  std::vector<HostRecord> host_records;   // non-empty ones, by offset
  std::vector<DeviceAction> actions;      // in file order; after_host_bytes never decreases
  std::uint64_t device_bytes = 0;
  // The handshake rule (docs/trace-format.md): the host stream starts with this many A0 bytes, and
  // actions [retry_begin, retry_end) answer the last of them. A further A0 right there is a host's
  // handshake retry: the device answers it again instead of failing.
  std::uint64_t leading_a0s = 0;
  std::size_t retry_begin = 0;
  std::size_t retry_end = 0;

  // The record holding host byte `offset` (nullptr past the end).
  const HostRecord* record_at(std::uint64_t offset) const;
  // Line of the first thing still to come once `matched` host bytes and `done` actions are through.
  std::size_t waiting_line(std::uint64_t matched, std::size_t done) const;
};

// A "close" note with an "open" note after it is a re-enumeration: the device leaves the bus there
// (as after the speed switch) and the host reconnects. Other notes are ignored.
Script make_script(ParsedTrace trace);

}  // namespace mtkfs::sim::replay
