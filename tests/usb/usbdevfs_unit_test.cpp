// The emulated bus's pieces without umockdev: the descriptors a host reads, EP0, and the URB engine's
// kernel semantics against the device model (babble, short packets, discard, unplug).
#include <gtest/gtest.h>
#include <linux/usbdevice_fs.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "sim/sim.h"
#include "sim/usbdevfs/control.h"
#include "sim/usbdevfs/descriptors.h"
#include "sim/usbdevfs/urb_engine.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::usbdevfs {
namespace {

using namespace std::chrono_literals;

TEST(UsbDescriptors, DataInterfaceComesFirstWithTwo512ByteBulkEndpoints) {
  const auto d = device_descriptor(0x2001);
  ASSERT_EQ(d.size(), 18u);
  EXPECT_EQ(d[4], 0x02);                      // CDC device class
  EXPECT_EQ(d[8] | d[9] << 8, 0x0e8d);
  EXPECT_EQ(d[10] | d[11] << 8, 0x2001);
  const auto c = configuration_descriptor();
  EXPECT_EQ(static_cast<std::size_t>(c[2] | c[3] << 8), c.size());
  // Interface 0 right after the configuration: CDC data, two endpoints, OUT 0x01 then IN 0x81.
  EXPECT_EQ(c[9 + 2], kDataInterface);
  EXPECT_EQ(c[9 + 5], 0x0A);
  EXPECT_EQ(c[18 + 2], kBulkOut);
  EXPECT_EQ(c[18 + 4] | c[18 + 5] << 8, 512);
  EXPECT_EQ(c[25 + 2], kBulkIn);
  EXPECT_EQ(c[25 + 4] | c[25 + 5] << 8, 512);
  EXPECT_EQ(c[32 + 2], kControlInterface);
  EXPECT_EQ(c[32 + 5], 0x02);
}

TEST(UsbDescriptors, StringsAreUtf16AndUnknownIndexesAreRefused) {
  EXPECT_EQ(*string_descriptor(0), (std::vector<std::uint8_t>{4, 3, 0x09, 0x04}));
  const auto product = *string_descriptor(2);
  ASSERT_EQ(product.size(), 2 + 2 * std::string("MT65xx Preloader").size());
  EXPECT_EQ(product[2], 'M');
  EXPECT_EQ(product[3], 0);
  EXPECT_FALSE(string_descriptor(9));
}

class UrbEngineTest : public ::testing::Test {
 protected:
  UrbEngineTest() {
    config.dir = dir.path();
    config.user_size = 4ull << 20;
    config.boot1_size = config.boot2_size = 1ull << 20;
    config.rpmb_size = 1ull << 20;
    model = std::make_unique<UsbDeviceModel>(config);
    engine = std::make_unique<UrbEngine>(*model, model->enumeration_count(), [this] { ++completions; });
  }

  std::shared_ptr<Urb> urb(std::uint8_t endpoint, std::size_t length, std::uint64_t addr) {
    auto u = std::make_shared<Urb>();
    u->type = USBDEVFS_URB_TYPE_BULK;
    u->endpoint = endpoint;
    u->client_addr = addr;
    u->data.resize(length);
    return u;
  }

  // SET_LINE_CODING through EP0, as a host does: the Preloader then sends READY while it waits.
  void set_line_coding() {
    Urb control;
    control.type = USBDEVFS_URB_TYPE_CONTROL;
    control.data = {0x21, 0x20, 0, 0, 0, 0, 7, 0, 0x00, 0xC2, 0x01, 0x00, 0x00, 0x00, 0x08};
    serve_control(control, *model, model->enumeration_count(), model->product_id());
    ASSERT_EQ(control.status, 0);
    EXPECT_EQ(control.actual, 7u);
  }

  std::shared_ptr<Urb> reap(std::chrono::milliseconds timeout = 5s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (auto u = engine->take_completed()) return u;
      std::this_thread::sleep_for(1ms);
    }
    return nullptr;
  }

  testing::TempDir dir;
  SimConfig config;
  std::unique_ptr<UsbDeviceModel> model;
  std::atomic<int> completions{0};
  std::unique_ptr<UrbEngine> engine;
};

TEST_F(UrbEngineTest, AnInUrbShorterThanThePacketBabbles) {
  set_line_coding();
  engine->submit(urb(kBulkIn, 3, 1));
  auto u = reap();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, -EOVERFLOW);
  EXPECT_EQ(u->actual, 0u);
}

TEST_F(UrbEngineTest, AShortPacketEndsAWholePacketUrb) {
  set_line_coding();
  engine->submit(urb(kBulkIn, 4096, 2));
  auto u = reap();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, 0);
  ASSERT_GE(u->actual, 5u);
  EXPECT_EQ(u->actual % 5, 0u);  // READY strings, never a byte more
  EXPECT_EQ(std::string(u->data.begin(), u->data.begin() + 5), "READY");
  EXPECT_GE(completions.load(), 1);
}

TEST_F(UrbEngineTest, DiscardedUrbsEndWithEnoentAndUnknownOnesAreRefused) {
  // No line coding: the device sends nothing, so both URBs wait.
  engine->submit(urb(kBulkIn, 512, 10));
  engine->submit(urb(kBulkIn, 512, 11));
  EXPECT_TRUE(engine->discard(11));
  auto waiting = reap();
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->client_addr, 11u);
  EXPECT_EQ(waiting->status, -ENOENT);
  EXPECT_TRUE(engine->discard(10));
  auto served = reap();
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, -ENOENT);
  EXPECT_FALSE(engine->discard(99));
  EXPECT_FALSE(engine->in_flight());
}

TEST_F(UrbEngineTest, UnplugEndsUrbsInFlightAndLaterOnesWithEnodev) {
  engine->submit(urb(kBulkIn, 512, 20));
  engine->submit(urb(kInterruptIn, 64, 21));
  model->unplug();
  engine->fail_all(-ENODEV);
  for (int i = 0; i < 2; ++i) {
    auto u = reap();
    ASSERT_TRUE(u);
    EXPECT_EQ(u->status, -ENODEV);
  }
  engine->submit(urb(kBulkOut, 4, 22));
  auto late = reap();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, -ENODEV);
}

TEST_F(UrbEngineTest, ControlInReturnsDescriptorsAndClassInStalls) {
  Urb get;
  get.type = USBDEVFS_URB_TYPE_CONTROL;
  get.data = {0x80, 0x06, 0x00, 0x01, 0, 0, 18, 0};
  get.data.resize(8 + 18);
  serve_control(get, *model, model->enumeration_count(), 0x2000);
  EXPECT_EQ(get.status, 0);
  EXPECT_EQ(get.actual, 18u);
  EXPECT_EQ(get.data[8 + 10], 0x00);
  EXPECT_EQ(get.data[8 + 11], 0x20);
  Urb class_in;
  class_in.type = USBDEVFS_URB_TYPE_CONTROL;
  class_in.data = {0xA1, 0x21, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0};  // GET_LINE_CODING
  serve_control(class_in, *model, model->enumeration_count(), 0x2000);
  EXPECT_EQ(class_in.status, -EPIPE);
}

}  // namespace
}  // namespace mtkfs::sim::usbdevfs
