// FIFO of received-but-not-yet-consumed bytes, shared by every medium.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace mtkfs::transport {

class ByteQueue {
 public:
  std::size_t size() const { return data_.size() - head_; }
  bool empty() const { return size() == 0; }

  void clear() {
    data_.clear();
    head_ = 0;
  }

  void push_back(std::span<const std::uint8_t> bytes) {
    compact_if_worthwhile();
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }

  // Used when a read times out: the bytes it had already taken go back in front, in order.
  void push_front(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    if (head_ >= bytes.size()) {
      head_ -= bytes.size();
      std::memcpy(data_.data() + head_, bytes.data(), bytes.size());
      return;
    }
    std::vector<std::uint8_t> merged;
    merged.reserve(bytes.size() + size());
    merged.insert(merged.end(), bytes.begin(), bytes.end());
    merged.insert(merged.end(), data_.begin() + static_cast<std::ptrdiff_t>(head_), data_.end());
    data_.swap(merged);
    head_ = 0;
  }

  // Copies up to out.size() bytes into `out`; returns how many.
  std::size_t pop_into(std::span<std::uint8_t> out) {
    const std::size_t n = std::min(out.size(), size());
    if (n == 0) return 0;
    std::memcpy(out.data(), data_.data() + head_, n);
    head_ += n;
    if (head_ == data_.size()) clear();
    return n;
  }

 private:
  // Keeps the vector from growing without bound when small reads leave a long consumed prefix.
  void compact_if_worthwhile() {
    if (head_ == 0) return;
    if (head_ == data_.size()) {
      clear();
    } else if (head_ >= 4096 && head_ * 2 >= data_.size()) {
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<std::uint8_t> data_;
  std::size_t head_ = 0;
};

}  // namespace mtkfs::transport
