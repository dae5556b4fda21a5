// In-process USB model of the Preloader/DA port (docs/protocol/usb.md §2-§5): EP0 class requests, a byte
// FIFO for bulk OUT, and bulk IN packets cut from the device's pending transmit buffer. Each unit waits until the
// host collected it (300 ms without progress, then later units coalesce, docs/protocol/usb.md §5.1).
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/device.h"
#include "sim/firmware_thread.h"
#include "sim/sim.h"

namespace mtkfs::sim {
namespace {

constexpr std::size_t kMaxPacket = wire::kUsbMaxPacketHighSpeed;
constexpr auto kFlushTimeout = std::chrono::milliseconds(300);
// How long the device stays off the bus when it reboots, powers off or switches speed [sim-choice].
constexpr auto kOffBusTime = std::chrono::milliseconds(100);
// Host->device bytes the device accepts before bulk OUT blocks (its receive side is never that slow).
constexpr std::size_t kOutFifoLimit = 32u << 20;

class ByteQueue {
 public:
  std::size_t size() const { return data_.size() - head_; }
  bool empty() const { return size() == 0; }
  const std::uint8_t* front() const { return data_.data() + head_; }
  void append(std::span<const std::uint8_t> bytes) {
    if (empty()) clear();
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }
  void consume(std::size_t n) {
    head_ += n;
    if (empty()) {
      clear();
    } else if (head_ > (1u << 20) && head_ > data_.size() / 2) {
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    data_.clear();
    head_ = 0;
  }

 private:
  std::vector<std::uint8_t> data_;
  std::size_t head_ = 0;
};

struct UsbBus {
  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;
  bool enumerated = true;
  bool unplugged = false;  // the cable is out: the device never comes back
  std::uint16_t pid = wire::kPidPreloader;
  std::uint64_t enumerations = 1;
  bool tool_present = false;
  bool host_closed = false;  // event for the device; cleared when seen
  ByteQueue out;             // host -> device
  std::deque<std::size_t> out_transfers;  // bytes of each host OUT transfer still in `out`, oldest first
  ByteQueue in;              // device's pending transmit buffer
  // Zero-length packets the device queued, as positions in the device->host byte count.
  std::deque<std::uint64_t> in_zlps;
  std::uint64_t in_added = 0;
  std::uint64_t in_taken = 0;
  std::uint64_t packets_collected = 0;

  // Off the bus, or on it again under a later enumeration than the caller's.
  bool gone_for(std::uint64_t enumeration) const {
    return !enumerated || (enumeration != 0 && enumeration != enumerations);
  }
  bool zlp_next() const { return !in_zlps.empty() && in_zlps.front() == in_taken; }
  bool in_idle() const { return in.empty() && in_zlps.empty(); }
  void take_in(std::size_t n) {
    in.consume(n);
    in_taken += n;
  }
  void take_out(std::size_t n) {
    out.consume(n);
    while (n > 0 && !out_transfers.empty()) {
      const std::size_t part = std::min(n, out_transfers.front());
      out_transfers.front() -= part;
      n -= part;
      if (out_transfers.front() == 0) out_transfers.pop_front();
    }
  }

  template <class Pred>
  bool wait_until(std::unique_lock<std::mutex>& lock, Clock::time_point deadline, Pred pred) {
    if (deadline == kForever) {
      cv.wait(lock, pred);
      return true;
    }
    return cv.wait_until(lock, deadline, pred);
  }
};

class UsbLink final : public DeviceLink {
 public:
  UsbLink(UsbBus& bus, bool reset_on_close) : bus_(bus), reset_on_close_(reset_on_close) {}

  std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
    std::unique_lock lock(bus_.mutex);
    if (!wait_for_host_bytes(lock, deadline)) return 0;
    return take_host_bytes(buffer, bus_.out.size(), false).copied;
  }

  TransferRead read_transfer(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
    std::unique_lock lock(bus_.mutex);
    if (!wait_for_host_bytes(lock, deadline)) return {};
    return take_host_bytes(buffer, bus_.out_transfers.front(), true);
  }

  void send_unit(std::span<const std::uint8_t> unit) override {
    std::unique_lock lock(bus_.mutex);
    if (bus_.stop) throw LinkStopped();
    bus_.in.append(unit);
    bus_.in_added += unit.size();
    bus_.cv.notify_all();
    wait_collected(lock);
  }

  void send_zero_length_packet() override {
    std::unique_lock lock(bus_.mutex);
    if (bus_.stop) throw LinkStopped();
    bus_.in_zlps.push_back(bus_.in_added);
    bus_.cv.notify_all();
    wait_collected(lock);
  }

  // The firmware's flush: wait until the host has collected everything, giving up after 300 ms
  // without progress; what is still pending then coalesces with the next unit.
  void wait_collected(std::unique_lock<std::mutex>& lock) {
    for (;;) {
      const std::uint64_t seen = bus_.packets_collected;
      const bool progressed = bus_.cv.wait_for(lock, kFlushTimeout, [&] {
        return bus_.stop || bus_.in_idle() || bus_.packets_collected != seen || bus_.host_closed;
      });
      if (bus_.stop) throw LinkStopped();
      check_host_closed(lock);
      if (bus_.in_idle() || !progressed) return;
    }
  }

  bool tool_present() const override {
    std::lock_guard lock(bus_.mutex);
    return bus_.tool_present;
  }

  void disconnect(bool speed_switch) override {
    std::unique_lock lock(bus_.mutex);
    reenumerate(lock, speed_switch ? wire::kPidDa : wire::kPidPreloader);
  }

  void drop(std::optional<std::chrono::milliseconds> off_time) override {
    std::unique_lock lock(bus_.mutex);
    reenumerate(lock, wire::kPidPreloader, off_time.value_or(kOffBusTime));
  }

  void set_muted(bool muted) override {
    std::lock_guard lock(bus_.mutex);
    muted_ = muted;
  }

  void sleep_for(std::chrono::milliseconds duration) override {
    std::unique_lock lock(bus_.mutex);
    if (bus_.cv.wait_for(lock, duration, [&] { return bus_.stop; })) throw LinkStopped();
  }

 private:
  // Off the bus for a moment, then back with `pid` and nothing pending; the host must set the line
  // coding again.
  void reenumerate(std::unique_lock<std::mutex>& lock, std::uint16_t pid,
                   std::chrono::milliseconds off_time = kOffBusTime) {
    bus_.enumerated = false;
    bus_.in.clear();
    bus_.in_zlps.clear();
    bus_.in_added = bus_.in_taken = 0;
    bus_.out.clear();
    bus_.out_transfers.clear();
    bus_.tool_present = false;
    bus_.host_closed = false;
    bus_.cv.notify_all();
    spdlog::info("usb: device left the bus");
    if (bus_.cv.wait_for(lock, off_time, [&] { return bus_.stop; })) throw LinkStopped();
    if (bus_.unplugged) {
      bus_.cv.wait(lock, [&] { return bus_.stop; });
      throw LinkStopped();
    }
    bus_.pid = pid;
    bus_.enumerated = true;
    ++bus_.enumerations;
    bus_.cv.notify_all();
    spdlog::info("usb: enumerated as {:04x}:{:04x}", wire::kMediatekVid, pid);
  }

  // False at the deadline; LinkStopped / HostGone as the bus says.
  bool wait_for_host_bytes(std::unique_lock<std::mutex>& lock, Clock::time_point deadline) {
    for (;;) {
      bus_.wait_until(lock, deadline, [&] { return bus_.stop || bus_.host_closed || !bus_.out.empty(); });
      if (bus_.stop) throw LinkStopped();
      check_host_closed(lock);
      if (!bus_.out.empty()) return true;
      if (deadline != kForever && Clock::now() >= deadline) return false;
    }
  }

  // Copies what fits of the next `available` host bytes; with `drop_rest` the others are gone too.
  TransferRead take_host_bytes(std::span<std::uint8_t> buffer, std::size_t available, bool drop_rest) {
    const std::size_t n = std::min(buffer.size(), available);
    std::memcpy(buffer.data(), bus_.out.front(), n);
    const std::size_t dropped = drop_rest ? available - n : 0;
    bus_.take_out(n + dropped);
    bus_.cv.notify_all();
    return {n, dropped};
  }

  void check_host_closed(std::unique_lock<std::mutex>& lock) {
    if (!bus_.host_closed) return;
    bus_.host_closed = false;
    if (!reset_on_close_ && !muted_) return;  // the device never notices a host letting go
    // The device starts over; on USB that means it comes back on the bus as a fresh Preloader.
    reenumerate(lock, wire::kPidPreloader);
    throw HostGone();
  }

  UsbBus& bus_;
  bool reset_on_close_;
  bool muted_ = false;
};

}  // namespace

struct UsbDeviceModel::Impl {
  explicit Impl(SimConfig config)
      : device(std::move(config), Transport::usb), link(bus, device.reset_on_host_close()),
        firmware(device, link, "usb model") {}

  ~Impl() {
    {
      std::lock_guard lock(bus.mutex);
      bus.stop = true;
      bus.cv.notify_all();
    }
    firmware.join();
  }

  Device device;
  UsbBus bus;
  UsbLink link;
  FirmwareThread firmware;
};

UsbDeviceModel::UsbDeviceModel(SimConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
UsbDeviceModel::~UsbDeviceModel() = default;

std::uint16_t UsbDeviceModel::vendor_id() const { return wire::kMediatekVid; }

std::uint16_t UsbDeviceModel::product_id() const {
  std::lock_guard lock(impl_->bus.mutex);
  return impl_->bus.pid;
}

std::size_t UsbDeviceModel::max_packet_size() const { return kMaxPacket; }

UsbStatus UsbDeviceModel::control_out(std::uint8_t request_type, std::uint8_t request, std::uint16_t,
                                      std::uint16_t, std::span<const std::uint8_t>, std::uint64_t enumeration) {
  UsbBus& bus = impl_->bus;
  std::lock_guard lock(bus.mutex);
  if (bus.gone_for(enumeration) || bus.stop) return UsbStatus::no_device;
  if (request_type & 0x80) return UsbStatus::stall;  // device-to-host requests have no place here
  switch ((request_type >> 5) & 3) {
    case 0:  // standard: only the OUT requests the Preloader implements
      return request == 0x05 || request == 0x09 ? UsbStatus::ok : UsbStatus::stall;
    case 1:  // class: the recipient and wIndex are not checked (docs/protocol/usb.md §4.1)
      if (request == wire::kCdcSetLineCoding) {
        if (!bus.tool_present) spdlog::debug("usb: SET_LINE_CODING -> tool present");
        bus.tool_present = true;
        return UsbStatus::ok;
      }
      return request == wire::kCdcSetControlLineState || request == wire::kCdcSendBreak ? UsbStatus::ok
                                                                                        : UsbStatus::stall;
    case 2: return UsbStatus::ok;  // vendor: ignored
    default: return UsbStatus::stall;
  }
}

UsbTransfer UsbDeviceModel::bulk_out(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout,
                                     std::uint64_t enumeration) {
  UsbBus& bus = impl_->bus;
  std::unique_lock lock(bus.mutex);
  const bool ready = bus.cv.wait_for(lock, timeout, [&] {
    return bus.stop || bus.gone_for(enumeration) || bus.out.size() < kOutFifoLimit;
  });
  if (bus.stop || bus.gone_for(enumeration)) return {UsbStatus::no_device, 0};
  if (!ready) return {UsbStatus::timeout, 0};
  bus.out.append(data);
  if (!data.empty()) bus.out_transfers.push_back(data.size());  // zero-length OUT packets are ignored
  bus.cv.notify_all();
  return {UsbStatus::ok, data.size()};
}

UsbTransfer UsbDeviceModel::bulk_in(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
                                    std::uint64_t enumeration) {
  UsbBus& bus = impl_->bus;
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(bus.mutex);
  std::size_t transferred = 0;
  // The device (waiting in send_unit for its unit to be collected) is told once per transfer, or
  // before this transfer waits for more: waking it for each of the 2048 packets of a 1 MiB unit cost
  // the simulator more CPU than the copying (docs/performance.md).
  bool untold = false;
  const auto tell_device = [&] {
    if (untold) bus.cv.notify_all();
    untold = false;
  };
  while (transferred < buffer.size()) {
    if (bus.in_idle()) tell_device();
    bus.cv.wait_until(lock, deadline, [&] { return bus.stop || bus.gone_for(enumeration) || !bus.in_idle(); });
    if (bus.stop || bus.gone_for(enumeration) || bus.in_idle()) {
      tell_device();
      return {bus.stop || bus.gone_for(enumeration) ? UsbStatus::no_device : UsbStatus::timeout, transferred};
    }
    if (bus.zlp_next()) {  // a zero-length packet ends the transfer with what it has
      bus.in_zlps.pop_front();
      ++bus.packets_collected;
      untold = true;
      break;
    }
    const std::uint64_t before_zlp = bus.in_zlps.empty() ? bus.in.size() : bus.in_zlps.front() - bus.in_taken;
    const std::size_t packet = std::min<std::uint64_t>({kMaxPacket, bus.in.size(), before_zlp});
    const std::size_t space = buffer.size() - transferred;
    ++bus.packets_collected;
    untold = true;
    if (packet > space) {
      // libusb: babble into a too-small buffer; the packet is gone.
      bus.take_in(packet);
      tell_device();
      return {UsbStatus::overflow, transferred};
    }
    std::memcpy(buffer.data() + transferred, bus.in.front(), packet);
    bus.take_in(packet);
    transferred += packet;
    if (packet < kMaxPacket) break;  // a short packet ends the transfer
  }
  tell_device();
  return {UsbStatus::ok, transferred};
}

void UsbDeviceModel::host_close() {
  std::lock_guard lock(impl_->bus.mutex);
  impl_->bus.host_closed = true;
  impl_->bus.cv.notify_all();
}

bool UsbDeviceModel::wait_enumerated(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->bus.mutex);
  return impl_->bus.cv.wait_for(lock, timeout, [&] { return impl_->bus.enumerated; });
}

bool UsbDeviceModel::wait_disconnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->bus.mutex);
  return impl_->bus.cv.wait_for(lock, timeout, [&] { return !impl_->bus.enumerated; });
}

bool UsbDeviceModel::enumerated() const {
  std::lock_guard lock(impl_->bus.mutex);
  return impl_->bus.enumerated;
}

void UsbDeviceModel::unplug() {
  std::lock_guard lock(impl_->bus.mutex);
  impl_->bus.unplugged = true;
  impl_->bus.enumerated = false;
  impl_->bus.tool_present = false;
  impl_->bus.cv.notify_all();
  spdlog::info("usb: unplugged");
}

std::uint64_t UsbDeviceModel::enumeration_count() const {
  std::lock_guard lock(impl_->bus.mutex);
  return impl_->bus.enumerations;
}

}  // namespace mtkfs::sim
