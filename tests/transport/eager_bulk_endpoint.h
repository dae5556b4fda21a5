// Runs queued IN transfers the way libusb on Linux does: each one starts on a background thread as
// soon as it is submitted and its data lands in the buffer when the device sends it, not when the
// host reaps it. The synchronous default of BulkEndpoint only fills a buffer at reap time, which
// hides any overlap between queued buffers (issue 16: data written into a transfer that is still
// queued overwrote data not yet taken).
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "transport/bulk_endpoint.h"

namespace mtkfs::transport::testing {

class EagerBulkEndpoint : public BulkEndpoint {
 public:
  // `device` provides the synchronous bulk_in/bulk_out; it must tolerate being called from the
  // worker thread while the test thread only reads results.
  explicit EagerBulkEndpoint(std::unique_ptr<BulkEndpoint> device)
      : device_(std::move(device)), worker_([this] { run(); }) {}

  ~EagerBulkEndpoint() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      cancel_all();
    }
    cv_.notify_all();
    worker_.join();
  }

  BulkEndpoint& device() { return *device_; }
  std::size_t max_packet_size() const override { return device_->max_packet_size(); }
  BulkResult bulk_out(std::span<const std::uint8_t> data, Millis timeout) override {
    return device_->bulk_out(data, timeout);
  }
  BulkResult bulk_in(std::span<std::uint8_t> buffer, Millis timeout) override {
    return device_->bulk_in(buffer, timeout);
  }

  std::size_t max_in_flight() const override { return 16; }

  void submit_in(std::span<std::uint8_t> buffer) override {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::make_shared<Transfer>(Transfer{buffer}));
    }
    cv_.notify_all();
  }

  BulkResult reap_in(Millis timeout) override {
    std::unique_lock lock(mutex_);
    if (queue_.empty()) ADD_FAILURE() << "reap_in() with no queued transfer";
    const auto front = queue_.front();
    if (!cv_.wait_for(lock, timeout, [&] { return front->done; })) {
      cancel_all();
      cv_.wait(lock, [&] { return front->done; });
    }
    queue_.pop_front();
    return front->result;
  }

  void cancel_in() override {
    std::unique_lock lock(mutex_);
    cancel_all();
  }

 private:
  // Each wait on the device is short, so a cancel takes effect promptly (as a URB discard does).
  static constexpr Millis kSlice{2};

  struct Transfer {
    std::span<std::uint8_t> buffer;
    std::size_t filled = 0;
    bool cancelled = false;
    bool done = false;
    BulkResult result{BulkStatus::ok, 0};
  };

  void cancel_all() {
    for (auto& t : queue_) t->cancelled = true;
  }

  void finish(Transfer& t, BulkStatus status) {
    t.result = {status, t.filled};
    t.done = true;
    cv_.notify_all();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      std::shared_ptr<Transfer> next;
      cv_.wait(lock, [&] {
        if (stop_) return true;
        for (auto& t : queue_) {
          if (t->done) continue;
          next = t;
          return true;
        }
        return false;
      });
      if (stop_ && !next) return;
      Transfer& t = *next;
      // Like the host controller: once a transfer ends in error the ones behind it do not run.
      for (;;) {
        if (t.cancelled) {
          finish(t, BulkStatus::timeout);
          break;
        }
        lock.unlock();
        const BulkResult r = device_->bulk_in(t.buffer.subspan(t.filled), kSlice);
        lock.lock();
        t.filled += r.transferred;
        if (r.status == BulkStatus::timeout && t.filled < t.buffer.size()) continue;
        finish(t, r.status == BulkStatus::timeout ? BulkStatus::ok : r.status);
        if (r.status != BulkStatus::ok && r.status != BulkStatus::timeout) cancel_all();
        break;
      }
      if (stop_) return;
    }
  }

  std::unique_ptr<BulkEndpoint> device_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Transfer>> queue_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace mtkfs::transport::testing
