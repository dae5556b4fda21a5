#include "sim/device_io.h"

#include "sim/big_endian.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>

namespace mtkfs::sim {
namespace {
constexpr std::size_t kRxBufferSize = 64 * 1024;
constexpr std::size_t kPacketSize = 512;
// usb2-hs link model: ~40 MB/s of payload and a fixed cost per transfer (host controller scheduling
// plus the device's turnaround), chosen in the middle of the 100-200 us range seen on real HS links.
constexpr double kLinkBytesPerSecond = 40e6;
constexpr auto kLinkTransferCost = std::chrono::microseconds(150);
// Sleeping for every tiny transfer would cost more than it models; the debt is paid in >= 1 ms steps.
constexpr auto kLinkMinSleep = std::chrono::milliseconds(1);
}  // namespace

void LinkThrottle::account(std::size_t bytes) {
  if (!enabled_) return;
  const auto now = Clock::now();
  const auto payload = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(bytes) / kLinkBytesPerSecond));
  busy_until_ = std::max(busy_until_, now) + payload + kLinkTransferCost;
  if (busy_until_ - now >= kLinkMinSleep) std::this_thread::sleep_until(busy_until_);
}

DeviceIo::DeviceIo(DeviceLink& link, const SimConfig& config, FaultState& faults, Trace* trace)
    : link_(link), config_(config), faults_(faults), trace_(trace), throttle_(config.link_model),
      rx_(kRxBufferSize) {}

void DeviceIo::begin_session() {
  rx_head_ = rx_tail_ = 0;
  rx_offset_ = tx_offset_ = 0;
  merged_.clear();
  input_since_reply_ = false;
  reply_delay_active_ = false;
  strict_ = false;
}

std::size_t DeviceIo::fill(Clock::time_point deadline) {
  flush();
  if (rx_head_ == rx_tail_) rx_head_ = rx_tail_ = 0;
  const std::size_t n = link_.read_some(std::span(rx_).subspan(rx_tail_), deadline);
  rx_tail_ += n;
  if (n > 0) {
    input_since_reply_ = true;
    throttle_.account(n);
  }
  return n;
}

void DeviceIo::trace_in(std::span<const std::uint8_t> bytes, std::string_view what) {
  if (trace_) trace_->record(Trace::Direction::host_to_device, what, bytes);
}

std::size_t DeviceIo::take_available(std::span<std::uint8_t> out, Clock::time_point deadline,
                                     std::string_view what) {
  if (rx_head_ == rx_tail_ && fill(deadline) == 0) return 0;
  const std::size_t n = std::min(out.size(), rx_tail_ - rx_head_);
  std::memcpy(out.data(), rx_.data() + rx_head_, n);
  rx_head_ += n;
  rx_offset_ += n;
  trace_in(out.first(n), what);
  count_received(n);
  return n;
}

std::optional<std::uint8_t> DeviceIo::read_byte_until(Clock::time_point deadline, std::string_view what) {
  std::uint8_t byte;
  if (take_available(std::span(&byte, 1), deadline, what) == 0) return std::nullopt;
  return byte;
}

std::uint8_t DeviceIo::read_byte(std::string_view what) {
  std::uint8_t byte;
  read_exact(std::span(&byte, 1), what);
  return byte;
}

void DeviceIo::read_exact(std::span<std::uint8_t> out, std::string_view what) {
  if (strict_) return read_transfers(out, what);
  std::size_t done = 0;
  while (done < out.size()) {
    if (rx_head_ < rx_tail_) {
      const std::size_t n = std::min(out.size() - done, rx_tail_ - rx_head_);
      std::memcpy(out.data() + done, rx_.data() + rx_head_, n);
      rx_head_ += n;
      done += n;
    } else if (out.size() - done >= rx_.size()) {
      // Bulk data (62 chunks, stage uploads) goes straight into the caller's buffer.
      flush();
      const std::size_t n = link_.read_some(out.subspan(done), kForever);
      if (n > 0) {
        input_since_reply_ = true;
        throttle_.account(n);
      }
      done += n;
    } else {
      fill(kForever);
    }
  }
  rx_offset_ += out.size();
  trace_in(out, what);
  count_received(out.size());
}

// Each transfer the field needs is taken whole; what a transfer holds beyond the field is dropped, so
// a host that packs two fields into one transfer loses the second and the conversation stalls.
void DeviceIo::read_transfers(std::span<std::uint8_t> out, std::string_view what) {
  std::size_t done = 0;
  if (rx_head_ < rx_tail_) {  // input buffered before the DA started (never expected)
    done = std::min(out.size(), rx_tail_ - rx_head_);
    std::memcpy(out.data(), rx_.data() + rx_head_, done);
    rx_head_ += done;
  }
  std::size_t dropped = 0;
  while (done < out.size()) {
    flush();
    const DeviceLink::TransferRead got = link_.read_transfer(out.subspan(done), kForever);
    if (got.copied > 0) {
      input_since_reply_ = true;
      throttle_.account(got.copied + got.dropped);
    }
    done += got.copied;
    dropped += got.dropped;
  }
  rx_offset_ += out.size();
  trace_in(out, what);
  count_received(out.size());
  if (dropped > 0) {
    faults_.strict_dropped_bytes += dropped;
    spdlog::warn("strict receiver: {} bytes of the host transfer that carried '{}' were dropped", dropped, what);
    note("strict receiver: dropped " + std::to_string(dropped) + " bytes after " + std::string(what));
  }
}

void DeviceIo::read_fields(std::span<std::uint8_t> out, std::initializer_list<std::size_t> widths,
                           std::string_view what) {
  // Checked before any byte is read, in both modes: a wrong width list is a simulator bug wherever it runs.
  if (std::accumulate(widths.begin(), widths.end(), std::size_t{0}) != out.size())
    throw std::logic_error("read_fields: widths do not add up to the message size");
  if (!strict_) return read_exact(out, what);
  std::size_t at = 0;
  for (const std::size_t width : widths) {
    read_transfers(out.subspan(at, width), what);
    at += width;
  }
}

std::uint16_t DeviceIo::read_u16(std::string_view what) {
  std::uint8_t b[2];
  read_exact(b, what);
  return static_cast<std::uint16_t>(load_be(b, 2));
}

std::uint32_t DeviceIo::read_u32(std::string_view what) {
  std::uint8_t b[4];
  read_exact(b, what);
  return be32(b);
}

std::optional<std::uint8_t> DeviceIo::discard_for(std::chrono::milliseconds duration, std::string_view what) {
  const auto deadline = Clock::now() + duration;
  std::optional<std::uint8_t> last;
  std::uint8_t chunk[512];
  while (const std::size_t n = take_available(chunk, deadline, what)) last = chunk[n - 1];
  return last;
}

void DeviceIo::unexpected(std::uint8_t byte, std::string_view state) {
  char text[160];
  std::snprintf(text, sizeof text, "unexpected byte 0x%02X at host stream offset %llu in state %.*s", byte,
                static_cast<unsigned long long>(rx_offset_ - 1), static_cast<int>(state.size()),
                state.data());
  throw ProtocolViolation(text);
}

void DeviceIo::mute_until_host_gone() {
  flush();
  link_.set_muted(true);
  try {
    std::uint8_t sink[4096];
    for (;;) {
      const std::size_t n = link_.read_some(sink, kForever);
      if (n > 0) trace_in(std::span(sink, n), "muted (ignored)");
    }
  } catch (...) {
    link_.set_muted(false);
    throw;
  }
}

void DeviceIo::send(std::span<const std::uint8_t> unit, std::string_view what) {
  if (reply_delay_active_ && config_.faults.delay.count() > 0 && input_since_reply_) {
    flush();
    link_.sleep_for(config_.faults.delay);
  }
  input_since_reply_ = false;
  switch (config_.faults.units) {
    case UnitFault::none:
      emit(unit, what);
      break;
    case UnitFault::split:
      for (std::size_t i = 0; i < unit.size(); ++i) emit(unit.subspan(i, 1), what);
      break;
    case UnitFault::merge: {
      merged_.insert(merged_.end(), unit.begin(), unit.end());
      const std::size_t whole = merged_.size() / kPacketSize * kPacketSize;
      if (whole > 0) {
        std::vector<std::uint8_t> rest(merged_.begin() + static_cast<std::ptrdiff_t>(whole), merged_.end());
        merged_.resize(whole);
        std::vector<std::uint8_t> out;
        out.swap(merged_);
        merged_ = std::move(rest);
        emit(out, "merged");
      }
      break;
    }
  }
}

void DeviceIo::flush() {
  if (merged_.empty()) return;
  std::vector<std::uint8_t> out;
  out.swap(merged_);
  emit(out, "merged");
}

std::optional<std::uint64_t> DeviceIo::next_drop() const {
  const Faults& f = config_.faults;
  if (!f.drop_after_bytes) return std::nullopt;
  if (faults_.drops == 0) return f.drop_after_bytes;
  if (faults_.drops - 1 < f.drop_again_after_bytes.size()) return f.drop_again_after_bytes[faults_.drops - 1];
  return std::nullopt;
}

void DeviceIo::emit(std::span<const std::uint8_t> unit, std::string_view what) {
  const std::optional<std::uint64_t> drop = next_drop();
  bool drop_now = false;
  if (drop && faults_.tx_bytes + unit.size() >= *drop) {
    // A point already passed (points not ascending, in-process) drops at once.
    unit = unit.first(static_cast<std::size_t>(*drop > faults_.tx_bytes ? *drop - faults_.tx_bytes : 0));
    drop_now = true;
  }
  if (!unit.empty()) {
    if (trace_) trace_->record(Trace::Direction::device_to_host, what, unit);
    throttle_.account(unit.size());
    link_.send_unit(unit);
    tx_offset_ += unit.size();
    faults_.tx_bytes += unit.size();
  }
  if (drop_now) drop_link(std::to_string(faults_.tx_bytes) + " device bytes");
}

void DeviceIo::count_received(std::size_t bytes) {
  faults_.rx_bytes += bytes;
  const auto& points = config_.faults.drop_after_received_bytes;
  if (faults_.received_drops >= points.size() || faults_.rx_bytes < points[faults_.received_drops]) return;
  ++faults_.received_drops;
  drop_link(std::to_string(faults_.rx_bytes) + " host bytes received");
}

void DeviceIo::drop_link(const std::string& what) {
  ++faults_.drops;
  merged_.clear();
  spdlog::warn("fault: dropping the link after {} (drop {})", what, faults_.drops);
  note("fault: link dropped");
  link_.drop(config_.faults.drop_return_after);
  throw DeviceDisconnected(false);
}

void DeviceIo::send_u8(std::uint8_t value, std::string_view what) { send(std::span(&value, 1), what); }

void DeviceIo::send_u16(std::uint16_t value, std::string_view what) {
  std::uint8_t b[2];
  store_be(b, value, 2);
  send(b, what);
}

void DeviceIo::send_u32(std::uint32_t value, std::string_view what) {
  std::uint8_t b[4];
  store_be(b, value, 4);
  send(b, what);
}

void DeviceIo::send_zero_length_packet(std::string_view what) {
  flush();
  if (trace_) trace_->note(std::string(what) + ": zero-length packet");
  link_.send_zero_length_packet();
}

void DeviceIo::sleep_for(std::chrono::milliseconds duration) {
  flush();
  link_.sleep_for(duration);
}

void DeviceIo::note(std::string_view text) {
  if (trace_) trace_->note(text);
}

}  // namespace mtkfs::sim
