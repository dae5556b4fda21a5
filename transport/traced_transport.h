// The two places `--trace` hooks in (transport/wire_trace.h): TracedBulkEndpoint records every
// completed USB bulk transfer, TracedTransport names the protocol step and notes session events
// (open, close, a failed read or write). A tty or socket records its read()/write() results itself
// (FdStream::record_to). Neither is created unless a trace was asked for.
#pragma once

#include <deque>
#include <memory>
#include <span>

#include "transport/bulk_endpoint.h"
#include "transport/transport.h"
#include "transport/wire_trace.h"

namespace mtkfs::transport {

class TracedBulkEndpoint final : public BulkEndpoint {
 public:
  TracedBulkEndpoint(std::unique_ptr<BulkEndpoint> inner, std::shared_ptr<WireTrace> trace);

  std::size_t max_packet_size() const override { return inner_->max_packet_size(); }
  BulkResult bulk_out(std::span<const std::uint8_t> data, Millis timeout) override;
  BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) override;
  std::size_t max_in_flight() const override { return inner_->max_in_flight(); }
  void submit_in(std::span<std::uint8_t> buffer) override;
  BulkResult reap_in(Millis timeout) override;
  void cancel_in() override;

 private:
  // A completed IN transfer: its data (a zero-length packet too), and a note when it failed.
  void record_in(std::span<const std::uint8_t> buffer, const BulkResult& result);

  std::unique_ptr<BulkEndpoint> inner_;
  std::shared_ptr<WireTrace> trace_;
  std::deque<std::span<std::uint8_t>> submitted_;
};

class TracedTransport final : public Transport {
 public:
  // Notes "open <description>"; the destructor notes "close <description>".
  TracedTransport(std::unique_ptr<Transport> inner, std::shared_ptr<WireTrace> trace);
  ~TracedTransport() override;

  void write_all(std::span<const std::uint8_t> data, Millis timeout) override;
  void read_exact(std::span<std::uint8_t> out, Millis timeout) override;
  void discard_input() override;
  std::string describe() const override { return inner_->describe(); }
  BootStage boot_stage_hint() const override { return inner_->boot_stage_hint(); }
  void note_step(std::string_view step) override { trace_->set_step(step); }

 private:
  std::unique_ptr<Transport> inner_;
  std::shared_ptr<WireTrace> trace_;
};

}  // namespace mtkfs::transport
