// Shared pieces of the cache tests.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "cache/cache.h"
#include "tests/cache/fake_block_device.h"

namespace mtkfs::testing {

// Polls `done` until it holds or `limit` passes (every wait in a test is bounded).
inline bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline cache::CacheOptions small_options() {
  cache::CacheOptions o;
  o.block_size = 64 * 1024;
  o.cache_size = 16 * o.block_size;
  o.readahead_initial = o.block_size;
  o.readahead_max = 4 * o.block_size;
  o.max_device_transfer = 8 * o.block_size;
  return o;
}

// Every test ends by checking that the cache never broke the device rules.
class CacheTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
  }
  FakeBlockDevice device;
};

}  // namespace mtkfs::testing
