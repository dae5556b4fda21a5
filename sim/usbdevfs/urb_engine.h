// The kernel's side of usbdevfs URBs for one enumeration of a simulated device: bulk and interrupt URBs
// queue per endpoint and are served in order by one thread per bulk direction against the UsbDeviceModel;
// completed URBs wait to be reaped. What the kernel does, not what mtkfs expects: an IN URB completes when
// its buffer is full or a short packet arrives, a packet bigger than the space left ends it with -EOVERFLOW
// (babble), a discarded URB ends with -ENOENT, a device that left the bus ends them with -ENODEV.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/sim.h"

namespace mtkfs::sim::usbdevfs {

inline constexpr int kPending = 1;  // Urb::status while in flight

struct Urb {
  std::uint64_t client_addr = 0;  // the host's struct address: DISCARDURB and REAPURB speak of it
  std::uint8_t type = 0;          // USBDEVFS_URB_TYPE_*
  std::uint8_t endpoint = 0;
  std::vector<std::uint8_t> data;  // OUT: the host's bytes; IN: the buffer (its size is buffer_length)
  std::atomic<bool> discarded{false};
  int status = kPending;  // then 0 or -errno as the kernel reports it
  std::size_t actual = 0;
  std::shared_ptr<void> host_objects;  // whatever the caller needs back at reap time
};

class UrbEngine {
 public:
  // `on_completion` is called (from any thread) after a URB completed; it must not call back in.
  UrbEngine(UsbDeviceModel& model, std::uint64_t enumeration, std::function<void()> on_completion);
  ~UrbEngine();
  UrbEngine(const UrbEngine&) = delete;
  UrbEngine& operator=(const UrbEngine&) = delete;

  // Bulk 0x01/0x81 and interrupt 0x83; control URBs are completed by the caller and handed to finish().
  void submit(std::shared_ptr<Urb> urb);
  void finish(std::shared_ptr<Urb> urb);  // completes a URB the caller served itself
  bool discard(std::uint64_t client_addr);  // false when no such URB is in flight
  std::shared_ptr<Urb> take_completed();    // oldest completed URB, or nullptr
  bool in_flight() const;
  // The device left the bus: every URB in flight ends with `status`, later submits too.
  void fail_all(int status);
  std::uint64_t in_bytes() const { return in_bytes_.load(); }

 private:
  struct Queue {
    std::deque<std::shared_ptr<Urb>> urbs;
  };
  void serve(std::uint8_t endpoint);
  std::shared_ptr<Urb> next(Queue& q);
  int ended(const Urb& urb) const;
  void run_in(Urb& urb);
  void run_out(Urb& urb);
  void complete(Queue* q, const std::shared_ptr<Urb>& urb);
  Queue* queue_of(std::uint8_t endpoint);

  UsbDeviceModel& model_;
  const std::uint64_t enumeration_;
  std::function<void()> on_completion_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  int failed_status_ = 0;
  Queue in_, out_, interrupt_;
  std::deque<std::shared_ptr<Urb>> completed_;
  std::atomic<std::uint64_t> in_bytes_{0};
  std::thread in_thread_, out_thread_;
};

}  // namespace mtkfs::sim::usbdevfs
