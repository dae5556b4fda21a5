// A session recorded with the host's wire trace and played back by the simulator's replay device, on
// every in-process endpoint: the second session reads the same bytes, the replay passes, and on USB
// the device's transfer boundaries (zero-length packets included) come out as recorded.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "da/device.h"
#include "sim/image/image.h"
#include "sim/replay/replay.h"
#include "sim/replay/trace_file.h"
#include "sim/sim.h"
#include "sim/usb_model_endpoint.h"
#include "tests/da/test_timing.h"
#include "tests/support/temp_dir.h"
#include "transport/open_transport.h"
#include "transport/packet_stream_transport.h"
#include "transport/traced_transport.h"

namespace mtkfs::testing {
namespace {

using Bytes = std::vector<std::uint8_t>;
enum class Medium { socket, pty, usb };
constexpr std::uint64_t kUserSize = 8ull << 20;
constexpr std::size_t kReadLength = 3u << 20;

// One device (firmware or replay) on one medium, and a host-side opener that records `trace`.
class Endpoint {
 public:
  Endpoint(Medium medium, const sim::SimConfig& config, const std::filesystem::path& socket)
      : medium_(medium) {
    switch (medium) {
      case Medium::socket: socket_ = std::make_unique<sim::SocketServer>(config, socket); break;
      case Medium::pty: pty_ = std::make_unique<sim::PtyServer>(config); break;
      case Medium::usb: usb_ = std::make_unique<sim::UsbDeviceModel>(config); break;
    }
  }

  std::unique_ptr<transport::Transport> open(const std::shared_ptr<transport::WireTrace>& trace) {
    transport::ConnectOptions options;
    options.wait_seconds = 5;
    options.trace = trace;
    switch (medium_) {
      case Medium::socket: options.socket = socket_->socket_path().string(); return transport::open_transport(options);
      case Medium::pty: options.port = pty_->slave_path(); return transport::open_transport(options);
      case Medium::usb: return open_usb(trace);
    }
    return nullptr;
  }

  bool wait_finished(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (finished()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return finished();
  }

 private:
  bool finished() const {
    if (socket_) return socket_->finished();
    if (pty_) return pty_->finished();
    return false;  // the USB model has no end; its outcome says enough
  }

  // What usb_transport.cpp does, over the in-process model: a new enumeration for each open after
  // the first (the speed switch), CDC line coding, the traced endpoint under the packet stream.
  std::unique_ptr<transport::Transport> open_usb(const std::shared_ptr<transport::WireTrace>& trace) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (usb_->enumeration_count() == last_enumeration_ && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!usb_->wait_enumerated(std::chrono::seconds(5))) throw transport::DisconnectedError("off the bus");
    last_enumeration_ = usb_->enumeration_count();
    const std::uint8_t coding[7] = {0x00, 0x10, 0x0E, 0x00, 0x00, 0x00, 0x08};
    usb_->control_out(0x21, 0x20, 0, 0, coding);
    usb_->control_out(0x21, 0x22, 2, 0, {});
    std::unique_ptr<transport::BulkEndpoint> endpoint = std::make_unique<sim::UsbModelEndpoint>(*usb_, counts_);
    endpoint = std::make_unique<transport::TracedBulkEndpoint>(std::move(endpoint), trace);
    auto stream = std::make_unique<transport::PacketStreamTransport>(std::move(endpoint), "simulated usb",
                                                                     transport::BootStage::preloader);
    return std::make_unique<transport::TracedTransport>(std::move(stream), trace);
  }

  Medium medium_;
  std::unique_ptr<sim::SocketServer> socket_;
  std::unique_ptr<sim::PtyServer> pty_;
  std::unique_ptr<sim::UsbDeviceModel> usb_;
  sim::UsbTransferCounts counts_;
  std::uint64_t last_enumeration_ = 0;
};

class TraceReplaySim : public ::testing::TestWithParam<Medium> {
 protected:
  TraceReplaySim() {
    sim::image::InitOptions init;
    init.dir = dir_ / "img";
    init.pattern = true;
    init.layout = sim::image::Layout::none;
    init.user_size = kUserSize;
    sim::image::init_disk(init);
    sim::image::write_synthetic_da(dir_ / "da.bin");
  }

  // Connects, reads the first kReadLength bytes of the user area, reboots; every byte traced.
  Bytes session(Endpoint& endpoint, const std::filesystem::path& trace_file) {
    auto trace = transport::WireTrace::create(trace_file.string());
    da::DeviceOptions options;
    options.timing = fast_timing();
    da::Device device([&] { return endpoint.open(trace); }, dir_ / "da.bin", options);
    device.connect();
    Bytes data(kReadLength);
    device.read(da::HwPartition::user, 0, data);
    device.close(da::EndMode::reboot);
    return data;
  }

  Bytes image_start() const {
    Bytes out(kReadLength);
    std::ifstream(dir_ / "img" / "user.img", std::ios::binary)
        .read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    return out;
  }

  TempDir dir_;
};

std::vector<std::size_t> device_transfer_sizes(const std::filesystem::path& trace_file) {
  std::vector<std::size_t> sizes;
  for (const auto& e : sim::replay::load_trace(trace_file).entries)
    if (e.kind == sim::replay::TraceEntry::Kind::device_bytes) sizes.push_back(e.bytes.size());
  return sizes;
}

TEST_P(TraceReplaySim, ASecondSessionAgainstTheReplayReadsTheSameBytesAndPasses) {
  sim::SimConfig recorded;
  recorded.dir = dir_ / "img";
  if (GetParam() == Medium::usb) {
    recorded.speed_switch = true;    // a re-enumeration in the middle of the trace
    recorded.faults.d6_pieces = 0;   // read chunks as random transfers, some closed by zero-length packets
  }
  Bytes first;
  {
    Endpoint device(GetParam(), recorded, dir_ / "sim.sock");
    first = session(device, dir_ / "first.trace");
  }
  EXPECT_EQ(first, image_start());

  sim::SimConfig replay;
  replay.replay_path = dir_ / "first.trace";
  replay.replay_outcome = std::make_shared<sim::ReplayOutcome>();
  {
    Endpoint device(GetParam(), replay, dir_ / "replay.sock");
    EXPECT_EQ(session(device, dir_ / "second.trace"), first);
    if (GetParam() != Medium::usb) {
      EXPECT_TRUE(device.wait_finished(std::chrono::seconds(10)));
    }
  }
  EXPECT_TRUE(replay.replay_outcome->passed()) << replay.replay_outcome->verdict();

  if (GetParam() == Medium::usb) {
    const auto sizes = device_transfer_sizes(dir_ / "first.trace");
    EXPECT_NE(std::count(sizes.begin(), sizes.end(), 0u), 0) << "no zero-length packet was recorded";
    EXPECT_EQ(device_transfer_sizes(dir_ / "second.trace"), sizes);
  }
}

INSTANTIATE_TEST_SUITE_P(Media, TraceReplaySim, ::testing::Values(Medium::socket, Medium::pty, Medium::usb),
                         [](const auto& info) {
                           switch (info.param) {
                             case Medium::socket: return std::string("socket");
                             case Medium::pty: return std::string("pty");
                             case Medium::usb: return std::string("usb_model");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace mtkfs::testing
