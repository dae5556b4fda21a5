// In-memory BlockDevice for cache and filesystem tests: sparse (unwritten bytes follow a pattern computed
// from the offset, so a 1 GiB device costs nothing), with a call log, injectable failures, link loss, an
// optional per-call delay and a gate that holds a call until the test releases it.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "da/block_device.h"

namespace mtkfs::testing {

using da::HwPartition;

class FakeBlockDevice : public da::BlockDevice {
 public:
  struct Call {
    enum Kind { read, write } kind;
    HwPartition part;
    std::uint64_t offset;
    std::uint64_t length;
  };
  struct Range {
    HwPartition part;
    std::uint64_t begin, end;
  };

  FakeBlockDevice() {
    sizes_[HwPartition::user] = std::uint64_t{64} << 20;
    sizes_[HwPartition::boot1] = std::uint64_t{4} << 20;
    sizes_[HwPartition::boot2] = std::uint64_t{4} << 20;
    sizes_[HwPartition::rpmb] = std::uint64_t{1} << 20;
  }

  void set_size(HwPartition part, std::uint64_t size) { sizes_[part] = size; }

  // --- what the device holds ---
  // The byte a never-written device has at `offset`: every aligned 8-byte word encodes its offset.
  static void pattern(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) {
    const std::uint64_t tag = static_cast<std::uint64_t>(part) << 56;
    auto word_at = [tag](std::uint64_t word_start) { return word_start * 0x9E3779B97F4A7C15ULL ^ tag; };
    std::size_t i = 0;
    std::uint8_t* dst = out.data();
    while (i < out.size() && (offset + i) % 8 != 0) {  // leading partial word
      const std::uint64_t pos = offset + i;
      const std::uint64_t word = word_at(pos & ~std::uint64_t{7});
      dst[i++] = static_cast<std::uint8_t>(word >> (8 * (pos % 8)));
    }
    for (; i + 8 <= out.size(); i += 8) {  // little-endian hosts: byte k of the word is bits 8k..8k+7
      const std::uint64_t word = word_at(offset + i);
      std::memcpy(dst + i, &word, 8);
    }
    for (; i < out.size(); ++i) {
      const std::uint64_t pos = offset + i;
      dst[i] = static_cast<std::uint8_t>(word_at(pos & ~std::uint64_t{7}) >> (8 * (pos % 8)));
    }
  }
  static std::vector<std::uint8_t> pattern(HwPartition part, std::uint64_t offset, std::size_t length) {
    std::vector<std::uint8_t> v(length);
    pattern(part, offset, v);
    return v;
  }
  // Current device contents, bypassing the log and the failure injection.
  std::vector<std::uint8_t> contents(HwPartition part, std::uint64_t offset, std::size_t length) const {
    std::lock_guard lk(mu_);
    std::vector<std::uint8_t> out(length);
    copy_out(part, offset, out);
    return out;
  }
  void store(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) {
    std::lock_guard lk(mu_);
    copy_in(part, offset, data);
  }

  // --- behaviour knobs ---
  void fail_reads_in(Range r) { std::lock_guard lk(mu_); read_failures_.push_back(r); }
  void fail_writes_in(Range r) { std::lock_guard lk(mu_); write_failures_.push_back(r); }
  void clear_failures() { std::lock_guard lk(mu_); read_failures_.clear(); write_failures_.clear(); }
  void lose_link() { std::lock_guard lk(mu_); link_lost_ = true; }
  void set_delay(std::chrono::microseconds delay) { std::lock_guard lk(mu_); delay_ = delay; }

  // The next call blocks (inside the device, as a slow USB transfer would) until release().
  void hold_next_call() { std::lock_guard lk(mu_); hold_armed_ = true; }
  bool wait_until_held(std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] { return holding_; });
  }
  bool holding() const { std::lock_guard lk(mu_); return holding_; }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }

  // --- observation ---
  std::vector<Call> calls() const { std::lock_guard lk(mu_); return calls_; }
  std::size_t count(Call::Kind kind) const {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (const auto& c : calls_) n += c.kind == kind;
    return n;
  }
  void clear_log() { std::lock_guard lk(mu_); calls_.clear(); }
  // A new cache over the same fake has a new I/O thread.
  void forget_caller() { std::lock_guard lk(mu_); caller_.reset(); }
  // Rule breaks seen: misaligned or out-of-range requests, concurrent calls, calls from several threads.
  std::vector<std::string> violations() const { std::lock_guard lk(mu_); return violations_; }

  // --- BlockDevice ---
  std::uint64_t size(HwPartition part) const override {
    auto it = sizes_.find(part);
    return it == sizes_.end() ? 0 : it->second;
  }
  void read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) override {
    enter(Call::read, part, offset, out.size());
    std::unique_lock lk(mu_);
    in_call_ = false;
    if (link_lost_) throw da::LinkLostError("fake link lost");
    if (hits(read_failures_, part, offset, out.size())) throw da::DeviceError("fake read failure");
    copy_out(part, offset, out);
  }
  void write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) override {
    enter(Call::write, part, offset, data.size());
    std::unique_lock lk(mu_);
    in_call_ = false;
    if (link_lost_) throw da::LinkLostError("fake link lost");
    if (hits(write_failures_, part, offset, data.size())) throw da::DeviceError("fake write failure");
    copy_in(part, offset, data);
  }
  std::string describe() const override { return "fake eMMC for tests\n"; }

 private:
  static constexpr std::uint64_t kChunk = 64 * 1024;

  void enter(Call::Kind kind, HwPartition part, std::uint64_t offset, std::uint64_t length) {
    std::unique_lock lk(mu_);
    calls_.push_back({kind, part, offset, length});
    if (in_call_) violations_.push_back("concurrent device calls");
    in_call_ = true;
    if (!caller_) caller_ = std::this_thread::get_id();
    if (*caller_ != std::this_thread::get_id()) violations_.push_back("device called from a second thread");
    if (offset % 512 != 0 || length % 512 != 0) violations_.push_back("misaligned request");
    if (offset > size(part) || length > size(part) - offset) {
      violations_.push_back("request outside the partition");
      in_call_ = false;
      throw da::DeviceError("fake: out of range");
    }
    if (hold_armed_) {
      hold_armed_ = false;
      holding_ = true;
      released_ = false;
      cv_.notify_all();
      // Bounded: a test that forgets to release fails instead of hanging.
      cv_.wait_for(lk, std::chrono::seconds(20), [&] { return released_; });
      holding_ = false;
    }
    const auto delay = delay_;
    lk.unlock();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }

  static bool hits(const std::vector<Range>& ranges, HwPartition part, std::uint64_t offset, std::uint64_t length) {
    for (const auto& r : ranges)
      if (r.part == part && offset < r.end && offset + length > r.begin) return true;
    return false;
  }

  void copy_out(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out) const {
    for (std::size_t i = 0; i < out.size();) {
      const std::uint64_t pos = offset + i;
      const std::uint64_t chunk = pos / kChunk;
      const std::size_t in_chunk = pos % kChunk;
      const std::size_t n = std::min<std::size_t>(kChunk - in_chunk, out.size() - i);
      auto it = chunks_.find({part, chunk});
      if (it != chunks_.end())
        std::memcpy(out.data() + i, it->second.data() + in_chunk, n);
      else
        pattern(part, pos, out.subspan(i, n));
      i += n;
    }
  }
  void copy_in(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data) {
    for (std::size_t i = 0; i < data.size();) {
      const std::uint64_t pos = offset + i;
      const std::uint64_t chunk = pos / kChunk;
      const std::size_t in_chunk = pos % kChunk;
      const std::size_t n = std::min<std::size_t>(kChunk - in_chunk, data.size() - i);
      auto it = chunks_.find({part, chunk});
      if (it == chunks_.end()) it = chunks_.emplace(std::make_pair(part, chunk), pattern(part, chunk * kChunk, kChunk)).first;
      std::memcpy(it->second.data() + in_chunk, data.data() + i, n);
      i += n;
    }
  }

  std::map<HwPartition, std::uint64_t> sizes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<HwPartition, std::uint64_t>, std::vector<std::uint8_t>> chunks_;
  std::vector<Range> read_failures_, write_failures_;
  bool link_lost_ = false;
  std::chrono::microseconds delay_{0};
  bool hold_armed_ = false, holding_ = false, released_ = false;
  bool in_call_ = false;
  std::optional<std::thread::id> caller_;
  std::vector<Call> calls_;
  std::vector<std::string> violations_;
};

}  // namespace mtkfs::testing
