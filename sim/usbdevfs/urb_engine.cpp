#include "sim/usbdevfs/urb_engine.h"

#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "sim/usbdevfs/descriptors.h"

namespace mtkfs::sim::usbdevfs {
namespace {

// A URB has no timeout in the kernel; the model is asked in slices so that a discard or an unplug is
// noticed within one.
constexpr auto kSlice = std::chrono::milliseconds(10);

int status_of(UsbStatus status) {
  switch (status) {
    case UsbStatus::ok: return 0;
    case UsbStatus::timeout: return kPending;
    case UsbStatus::overflow: return -EOVERFLOW;
    case UsbStatus::no_device: return -ENODEV;
    case UsbStatus::stall: return -EPIPE;
  }
  return -EPROTO;
}

}  // namespace

UrbEngine::UrbEngine(UsbDeviceModel& model, std::uint64_t enumeration, std::function<void()> on_completion)
    : model_(model), enumeration_(enumeration), on_completion_(std::move(on_completion)) {
  in_thread_ = std::thread([this] { serve(kBulkIn); });
  out_thread_ = std::thread([this] { serve(kBulkOut); });
}

UrbEngine::~UrbEngine() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  in_thread_.join();
  out_thread_.join();
}

UrbEngine::Queue* UrbEngine::queue_of(std::uint8_t endpoint) {
  switch (endpoint) {
    case kBulkIn: return &in_;
    case kBulkOut: return &out_;
    case kInterruptIn: return &interrupt_;  // the Preloader never sends a notification: these wait
    default: return nullptr;
  }
}

void UrbEngine::submit(std::shared_ptr<Urb> urb) {
  std::unique_lock lock(mutex_);
  Queue* q = queue_of(urb->endpoint);
  if (failed_status_ != 0 || !q) {
    urb->status = failed_status_ != 0 ? failed_status_ : -ENOENT;
    completed_.push_back(std::move(urb));
    lock.unlock();
    on_completion_();
    return;
  }
  q->urbs.push_back(std::move(urb));
  cv_.notify_all();
}

void UrbEngine::finish(std::shared_ptr<Urb> urb) { complete(nullptr, urb); }

bool UrbEngine::discard(std::uint64_t client_addr) {
  std::unique_lock lock(mutex_);
  for (Queue* q : {&in_, &out_, &interrupt_}) {
    const auto it = std::find_if(q->urbs.begin(), q->urbs.end(),
                                 [&](const auto& u) { return u->client_addr == client_addr; });
    if (it == q->urbs.end()) continue;
    (*it)->discarded = true;
    // Only the head of a bulk queue is being served; every other URB ends here and now.
    if (q == &interrupt_ || it != q->urbs.begin()) {
      auto urb = *it;
      q->urbs.erase(it);
      urb->status = -ENOENT;
      completed_.push_back(std::move(urb));
      lock.unlock();
      on_completion_();
    }
    return true;
  }
  return false;
}

std::shared_ptr<Urb> UrbEngine::take_completed() {
  std::lock_guard lock(mutex_);
  if (completed_.empty()) return nullptr;
  auto urb = std::move(completed_.front());
  completed_.pop_front();
  return urb;
}

bool UrbEngine::in_flight() const {
  std::lock_guard lock(mutex_);
  return !in_.urbs.empty() || !out_.urbs.empty() || !interrupt_.urbs.empty();
}

void UrbEngine::fail_all(int status) {
  {
    std::lock_guard lock(mutex_);
    failed_status_ = status;
    // The served heads notice on their next slice; the waiting ones end now.
    for (Queue* q : {&in_, &out_, &interrupt_}) {
      const std::size_t keep = (q == &interrupt_ || q->urbs.empty()) ? 0 : 1;
      while (q->urbs.size() > keep) {
        auto urb = q->urbs.back();
        q->urbs.pop_back();
        urb->status = status;
        completed_.push_front(std::move(urb));
      }
    }
  }
  cv_.notify_all();
  on_completion_();
}

std::shared_ptr<Urb> UrbEngine::next(Queue& q) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return stop_ || !q.urbs.empty(); });
  return stop_ ? nullptr : q.urbs.front();
}

void UrbEngine::serve(std::uint8_t endpoint) {
  Queue& q = *queue_of(endpoint);
  while (auto urb = next(q)) {
    if (endpoint == kBulkIn)
      run_in(*urb);
    else
      run_out(*urb);
    complete(&q, urb);
  }
}

// 0 while the URB may go on; else the status it ends with (discarded, device gone, engine stopping).
int UrbEngine::ended(const Urb& urb) const {
  if (urb.discarded) return -ENOENT;
  std::lock_guard lock(mutex_);
  if (failed_status_ != 0) return failed_status_;
  return stop_ ? -ESHUTDOWN : 0;
}

void UrbEngine::run_in(Urb& urb) {
  std::span<std::uint8_t> buffer(urb.data);
  int status = buffer.empty() ? 0 : kPending;
  while (status == kPending) {
    if (const int end = ended(urb)) {
      status = end;
      break;
    }
    const UsbTransfer t = model_.bulk_in(buffer.subspan(urb.actual), kSlice, enumeration_);
    urb.actual += t.transferred;
    in_bytes_ += t.transferred;
    status = status_of(t.status);
  }
  urb.status = status;
}

void UrbEngine::run_out(Urb& urb) {
  int status = kPending;
  while (status == kPending) {
    if (const int end = ended(urb)) {
      status = end;
      break;
    }
    const UsbTransfer t = model_.bulk_out(urb.data, kSlice, enumeration_);
    urb.actual = t.transferred;
    status = status_of(t.status);
  }
  urb.status = status;
}

void UrbEngine::complete(Queue* q, const std::shared_ptr<Urb>& urb) {
  {
    std::lock_guard lock(mutex_);
    if (q && !q->urbs.empty() && q->urbs.front() == urb) q->urbs.pop_front();
    completed_.push_back(urb);
  }
  on_completion_();
}

}  // namespace mtkfs::sim::usbdevfs
