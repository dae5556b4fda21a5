#include "transport/libusb_endpoint.h"

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <climits>

namespace mtkfs::transport::usb {

namespace {

using Clock = std::chrono::steady_clock;

// Cancellation normally completes within a millisecond; this only bounds a broken stack.
constexpr Millis kCancelGrace{2000};

unsigned int libusb_timeout(Millis timeout) {
  // libusb reads 0 as "forever"; we never mean that.
  return static_cast<unsigned int>(std::clamp<long long>(timeout.count(), 1, INT_MAX));
}

BulkStatus map_transfer_status(libusb_transfer_status status) {
  switch (status) {
    case LIBUSB_TRANSFER_COMPLETED: return BulkStatus::ok;
    case LIBUSB_TRANSFER_TIMED_OUT:
    case LIBUSB_TRANSFER_CANCELLED: return BulkStatus::timeout;  // we only cancel at deadlines
    case LIBUSB_TRANSFER_NO_DEVICE: return BulkStatus::no_device;
    case LIBUSB_TRANSFER_OVERFLOW: return BulkStatus::overflow;
    case LIBUSB_TRANSFER_STALL:
    case LIBUSB_TRANSFER_ERROR: return BulkStatus::io_error;
  }
  return BulkStatus::io_error;
}

}  // namespace

BulkStatus map_libusb_error(int error) {
  switch (error) {
    case LIBUSB_SUCCESS: return BulkStatus::ok;
    case LIBUSB_ERROR_TIMEOUT: return BulkStatus::timeout;
    case LIBUSB_ERROR_NO_DEVICE: return BulkStatus::no_device;
    case LIBUSB_ERROR_OVERFLOW: return BulkStatus::overflow;
    default: return BulkStatus::io_error;
  }
}

LibusbContext::LibusbContext() {
  const int rc = libusb_init(&ctx_);
  if (rc != LIBUSB_SUCCESS) {
    throw TransportError(std::string("cannot initialise libusb: ") + libusb_error_name(rc));
  }
}

LibusbContext::~LibusbContext() { libusb_exit(ctx_); }

ClaimedDevice::~ClaimedDevice() {
  if (!handle) return;
  if (data_interface >= 0) libusb_release_interface(handle, data_interface);
  for (int intf : detached_interfaces) {
    const int rc = libusb_attach_kernel_driver(handle, intf);
    // Re-attaching the CDC control interface makes cdc_acm take the data interface as well,
    // so a "busy" for the second one is expected.
    if (rc != LIBUSB_SUCCESS) {
      spdlog::debug("re-attaching kernel driver to interface {}: {}", intf, libusb_error_name(rc));
    }
  }
  libusb_close(handle);
}

LibusbBulkEndpoint::LibusbBulkEndpoint(std::unique_ptr<ClaimedDevice> device)
    : device_(std::move(device)) {}

LibusbBulkEndpoint::~LibusbBulkEndpoint() {
  if (wedged_) {
    // Freeing a transfer the kernel may still complete would be worse than leaking it.
    for (auto& slot : slots_) (void)slot.release();
    (void)device_.release();
    return;
  }
  try {
    cancel_and_wait_all();
  } catch (...) {
    for (auto& slot : slots_) (void)slot.release();
    (void)device_.release();
    return;
  }
  for (auto& slot : slots_) {
    if (slot->transfer) libusb_free_transfer(slot->transfer);
  }
}

void LibusbBulkEndpoint::refuse_if_wedged() const {
  // Handling events now could complete the stuck transfer into memory its owner has freed.
  if (wedged_) throw TransportError("USB stack did not cancel a transfer; reconnect the device");
}

BulkResult LibusbBulkEndpoint::bulk_out(std::span<const std::uint8_t> data, Millis timeout) {
  refuse_if_wedged();
  const std::size_t length = std::min(data.size(), kMaxTransfer);
  int transferred = 0;
  // libusb_bulk_transfer takes a non-const pointer for both directions; OUT data is only read.
  const int rc = libusb_bulk_transfer(device_->handle, device_->endpoint_out,
                                      const_cast<std::uint8_t*>(data.data()),
                                      static_cast<int>(length), &transferred,
                                      libusb_timeout(timeout));
  return {map_libusb_error(rc), static_cast<std::size_t>(std::max(transferred, 0))};
}

BulkResult LibusbBulkEndpoint::bulk_in(std::span<std::uint8_t> buffer, Millis timeout) {
  refuse_if_wedged();
  int transferred = 0;
  const int rc = libusb_bulk_transfer(device_->handle, device_->endpoint_in, buffer.data(),
                                      static_cast<int>(std::min(buffer.size(), kMaxTransfer)),
                                      &transferred, libusb_timeout(timeout));
  return {map_libusb_error(rc), static_cast<std::size_t>(std::max(transferred, 0))};
}

void LIBUSB_CALL LibusbBulkEndpoint::on_transfer_done(libusb_transfer* transfer) {
  static_cast<Slot*>(transfer->user_data)->completed = 1;
}

void LibusbBulkEndpoint::submit_in(std::span<std::uint8_t> buffer) {
  refuse_if_wedged();
  auto slot = std::make_unique<Slot>();
  slot->transfer = libusb_alloc_transfer(0);
  if (!slot->transfer) throw TransportError("libusb_alloc_transfer failed (out of memory)");
  // No libusb timeout: deadlines are enforced by reap_in(), which cancels instead.
  libusb_fill_bulk_transfer(slot->transfer, device_->handle, device_->endpoint_in, buffer.data(),
                            static_cast<int>(std::min(buffer.size(), kMaxTransfer)),
                            &LibusbBulkEndpoint::on_transfer_done, slot.get(), 0);
  const int rc = libusb_submit_transfer(slot->transfer);
  if (rc != LIBUSB_SUCCESS) {
    spdlog::debug("libusb_submit_transfer: {}", libusb_error_name(rc));
    libusb_free_transfer(slot->transfer);
    slot->transfer = nullptr;
    slot->completed = 1;
    slot->early = {map_libusb_error(rc) == BulkStatus::no_device ? BulkStatus::no_device
                                                                 : BulkStatus::io_error,
                   0};
  }
  slots_.push_back(std::move(slot));
}

bool LibusbBulkEndpoint::wait_for(Slot& slot, Millis limit) {
  const auto deadline = Clock::now() + limit;
  while (!slot.completed) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000);
    const int rc = libusb_handle_events_timeout_completed(device_->context->get(), &tv,
                                                          &slot.completed);
    if (rc != LIBUSB_SUCCESS && rc != LIBUSB_ERROR_INTERRUPTED) {
      throw TransportError(std::string("libusb event handling failed: ") + libusb_error_name(rc));
    }
  }
  return true;
}

BulkResult LibusbBulkEndpoint::reap_in(Millis timeout) {
  refuse_if_wedged();
  if (slots_.empty()) throw TransportError("internal error: reap_in() with no queued transfer");
  Slot& front = *slots_.front();
  const bool done = wait_for(front, front.cancel_requested ? kCancelGrace : timeout);
  if (!done) {
    // Later transfers must not run ahead of the one we give up on: cancel them all.
    cancel_and_wait_all();
  }
  std::unique_ptr<Slot> slot = std::move(slots_.front());
  slots_.pop_front();
  if (!slot->transfer) return slot->early;
  const BulkResult result{map_transfer_status(slot->transfer->status),
                          static_cast<std::size_t>(std::max(slot->transfer->actual_length, 0))};
  libusb_free_transfer(slot->transfer);
  return result;
}

void LibusbBulkEndpoint::cancel_in() {
  for (auto& slot : slots_) {
    if (slot->completed || slot->cancel_requested || !slot->transfer) continue;
    slot->cancel_requested = true;
    const int rc = libusb_cancel_transfer(slot->transfer);
    // NOT_FOUND: it completed meanwhile; its callback is about to run.
    if (rc != LIBUSB_SUCCESS && rc != LIBUSB_ERROR_NOT_FOUND) {
      spdlog::debug("libusb_cancel_transfer: {}", libusb_error_name(rc));
    }
  }
}

void LibusbBulkEndpoint::cancel_and_wait_all() {
  cancel_in();
  for (auto& slot : slots_) {
    if (!wait_for(*slot, kCancelGrace)) {
      wedged_ = true;
      throw TransportError("USB stack did not cancel a bulk transfer within 2 s; "
                           "unplug and reconnect the device");
    }
  }
}

}  // namespace mtkfs::transport::usb
