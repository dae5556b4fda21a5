// PacketStreamTransport against the simulator's USB device model: the Preloader handshake while
// READY packets stream in, and GET_HW_CODE replies read with different granularities.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "sim/usb_model_endpoint.h"
#include "tests/support/temp_dir.h"
#include "transport/packet_stream_transport.h"

namespace mtkfs::transport {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr Millis kTimeout{3000};

class SimUsb : public ::testing::TestWithParam<sim::UnitFault> {
 protected:
  void SetUp() override {
    sim::SimConfig config;
    config.dir = dir_.path();
    config.boot1_size = 1 << 20;
    config.boot2_size = 1 << 20;
    config.rpmb_size = 1 << 20;
    config.user_size = 4 << 20;
    config.faults.units = GetParam();
    device_ = std::make_unique<sim::UsbDeviceModel>(config);
    auto endpoint = std::make_unique<sim::UsbModelEndpoint>(*device_, counts_, [](std::size_t size) {
      ADD_FAILURE() << "bulk_in buffer of " << size << " bytes is not a multiple of the packet size";
    });
    stream_ = std::make_unique<PacketStreamTransport>(std::move(endpoint), "sim usb",
                                                      BootStage::preloader);
  }
  void TearDown() override {
    EXPECT_EQ(counts_.bad_in_buffers.load(), 0u);
    EXPECT_EQ(counts_.overflows.load(), 0u);
  }

  // What UsbTransport sends after claiming (docs/protocol/usb.md §4.2, mtkclient style).
  void send_cdc_setup() {
    const std::array<std::uint8_t, 7> coding{0x00, 0x10, 0x0e, 0x00, 0x00, 0x00, 0x08};
    ASSERT_EQ(device_->control_out(0x21, 0x20, 0, 0, coding), sim::UsbStatus::ok);
    ASSERT_EQ(device_->control_out(0x21, 0x22, 0x0002, 0, {}), sim::UsbStatus::ok);
  }

  void write(Bytes bytes) { stream_->write_all(bytes, kTimeout); }
  Bytes read(std::size_t n, Millis timeout = kTimeout) {
    Bytes out(n);
    stream_->read_exact(out, timeout);
    return out;
  }

  // Reads single bytes until `want` shows up; anything else (READY text) is skipped.
  // false when the line went quiet first.
  bool await_byte(std::uint8_t want, Millis quiet) {
    for (int i = 0; i < 256; ++i) {
      try {
        if (read(1, quiet)[0] == want) return true;
      } catch (const TimeoutError&) {
        return false;
      }
    }
    return false;
  }

  // The host recommendation of docs/protocol/preloader.md §3.3. Returns the number of A0 bytes
  // sent.
  int handshake() {
    const std::array<std::pair<std::uint8_t, std::uint8_t>, 3> rest{
        {{0x0A, 0xF5}, {0x50, 0xAF}, {0x05, 0xFA}}};
    for (int a0_sent = 1; a0_sent <= 40; ++a0_sent) {
      write({0xA0});
      if (!await_byte(0x5F, Millis{60})) continue;
      bool matched = true;
      for (const auto& [send, expect] : rest) {
        write({send});
        const Bytes reply = read(1);
        if (reply[0] != expect) {
          matched = false;
          break;
        }
      }
      if (matched) return a0_sent;
      stream_->discard_input();
    }
    ADD_FAILURE() << "no handshake after 40 attempts";
    return 0;
  }

  mtkfs::testing::TempDir dir_;
  std::unique_ptr<sim::UsbDeviceModel> device_;
  sim::UsbTransferCounts counts_;
  std::unique_ptr<PacketStreamTransport> stream_;
};

TEST_P(SimUsb, HandshakeWhileReadyPacketsArrive) {
  send_cdc_setup();
  // SET_LINE_CODING made the Preloader start its READY stream.
  const Bytes first = read(5);
  EXPECT_EQ(std::string(first.begin(), first.end()), "READY");
  // The first A0 is swallowed (no 5F), so at least two are needed.
  EXPECT_GE(handshake(), 2);
}

TEST_P(SimUsb, GetHwCodeReadAsOneTwoTwoAndAsFive) {
  send_cdc_setup();
  ASSERT_GT(handshake(), 0);
  write({0xFD});
  EXPECT_EQ(read(1), Bytes{0xFD});
  EXPECT_EQ(read(2), (Bytes{0x85, 0x90}));
  EXPECT_EQ(read(2), (Bytes{0x00, 0x00}));
  write({0xFD});
  EXPECT_EQ(read(5), (Bytes{0xFD, 0x85, 0x90, 0x00, 0x00}));
  EXPECT_EQ(stream_->buffered(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Units, SimUsb,
                         ::testing::Values(sim::UnitFault::none, sim::UnitFault::split,
                                           sim::UnitFault::merge),
                         [](const auto& info) {
                           switch (info.param) {
                             case sim::UnitFault::none: return std::string("spec_units");
                             case sim::UnitFault::split: return std::string("byte_units");
                             case sim::UnitFault::merge: return std::string("merged_units");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace mtkfs::transport
