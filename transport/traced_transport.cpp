#include "transport/traced_transport.h"

#include <algorithm>
#include <string>

namespace mtkfs::transport {

TracedBulkEndpoint::TracedBulkEndpoint(std::unique_ptr<BulkEndpoint> inner, std::shared_ptr<WireTrace> trace)
    : inner_(std::move(inner)), trace_(std::move(trace)) {}

BulkResult TracedBulkEndpoint::bulk_out(std::span<const std::uint8_t> data, Millis timeout) {
  const BulkResult result = inner_->bulk_out(data, timeout);
  const std::size_t moved = std::min(result.transferred, data.size());
  if (moved > 0) trace_->record(WireDirection::host_to_device, data.first(moved));
  if (result.status != BulkStatus::ok)
    trace_->note(std::string("bulk OUT ended: ") + to_string(result.status));
  return result;
}

BulkResult TracedBulkEndpoint::bulk_in(std::span<std::uint8_t> buffer, Millis timeout) {
  const BulkResult result = inner_->bulk_in(buffer, timeout);
  record_in(buffer, result);
  return result;
}

void TracedBulkEndpoint::submit_in(std::span<std::uint8_t> buffer) {
  inner_->submit_in(buffer);
  submitted_.push_back(buffer);
}

BulkResult TracedBulkEndpoint::reap_in(Millis timeout) {
  const BulkResult result = inner_->reap_in(timeout);
  if (!submitted_.empty()) {
    record_in(submitted_.front(), result);
    submitted_.pop_front();
  }
  return result;
}

void TracedBulkEndpoint::cancel_in() { inner_->cancel_in(); }

// A timeout with nothing in it is no transfer (the host gave up waiting, which the protocol does
// on purpose in the handshake and in drains); a zero-length packet is one.
void TracedBulkEndpoint::record_in(std::span<const std::uint8_t> buffer, const BulkResult& result) {
  const std::size_t moved = std::min(result.transferred, buffer.size());
  if (moved > 0 || result.status == BulkStatus::ok)
    trace_->record(WireDirection::device_to_host, buffer.first(moved));
  if (result.status != BulkStatus::ok && result.status != BulkStatus::timeout)
    trace_->note(std::string("bulk IN ended: ") + to_string(result.status));
}

TracedTransport::TracedTransport(std::unique_ptr<Transport> inner, std::shared_ptr<WireTrace> trace)
    : inner_(std::move(inner)), trace_(std::move(trace)) {
  trace_->note("open " + inner_->describe());
}

TracedTransport::~TracedTransport() {
  const std::string description = inner_->describe();
  inner_.reset();
  trace_->note("close " + description);
}

void TracedTransport::write_all(std::span<const std::uint8_t> data, Millis timeout) {
  try {
    inner_->write_all(data, timeout);
  } catch (const TransportError& e) {
    trace_->note(std::string("write failed: ") + e.what());
    throw;
  }
}

void TracedTransport::read_exact(std::span<std::uint8_t> out, Millis timeout) {
  try {
    inner_->read_exact(out, timeout);
  } catch (const TransportError& e) {
    trace_->note(std::string("read failed: ") + e.what());
    throw;
  }
}

void TracedTransport::discard_input() {
  trace_->note("discard input");
  inner_->discard_input();
}

}  // namespace mtkfs::transport
