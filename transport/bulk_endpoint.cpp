#include "transport/bulk_endpoint.h"

namespace mtkfs::transport {

const char* to_string(BulkStatus status) {
  switch (status) {
    case BulkStatus::ok: return "ok";
    case BulkStatus::timeout: return "timeout";
    case BulkStatus::overflow: return "overflow";
    case BulkStatus::no_device: return "no device";
    case BulkStatus::io_error: return "I/O error";
  }
  return "unknown";
}

void BulkEndpoint::submit_in(std::span<std::uint8_t> buffer) { queued_.push_back({buffer, false}); }

BulkResult BulkEndpoint::reap_in(Millis timeout) {
  if (queued_.empty()) throw TransportError("internal error: reap_in() with no queued transfer");
  const Queued next = queued_.front();
  queued_.pop_front();
  if (next.cancelled) return {next.cancelled_as, 0};
  const BulkResult result = bulk_in(next.buffer, timeout);
  // Like the host controller: once one transfer fails, the ones behind it do not run.
  if (result.status != BulkStatus::ok) cancel_queued(result.status);
  return result;
}

void BulkEndpoint::cancel_in() { cancel_queued(BulkStatus::timeout); }

void BulkEndpoint::cancel_queued(BulkStatus as) {
  for (Queued& q : queued_) {
    if (q.cancelled) continue;
    q.cancelled = true;
    q.cancelled_as = as == BulkStatus::timeout || as == BulkStatus::ok ? BulkStatus::timeout : as;
  }
}

}  // namespace mtkfs::transport
