// Where mtkfs puts USB transfer boundaries in what it sends to the DA: one write (one bulk OUT
// transfer) per protocol field, the way the C tool (one libusb_bulk_transfer per u8/u16/u32/u64) and
// mtkclient (one usbwrite per field) do. A DA that takes one transfer per field read would drop
// the rest of a transfer that packed several fields.
#include <gtest/gtest.h>

#include "da/da_boot.h"
#include "da/da_commands.h"
#include "tests/da/device_script.h"
#include "tests/da/test_timing.h"

namespace mtkfs::da {
namespace {

using namespace mtkfs::testing;
using Sizes = std::vector<std::size_t>;

// Passes everything to the scripted device and notes the size of every write.
class TransferRecorder : public transport::Transport {
 public:
  explicit TransferRecorder(ScriptedTransport& device) : device_(device) {}
  void write_all(std::span<const std::uint8_t> data, transport::Millis timeout) override {
    writes.push_back(data.size());
    device_.write_all(data, timeout);
  }
  void read_exact(std::span<std::uint8_t> out, transport::Millis timeout) override {
    device_.read_exact(out, timeout);
  }
  void discard_input() override { device_.discard_input(); }
  std::string describe() const override { return device_.describe(); }

  Sizes writes;

 private:
  ScriptedTransport& device_;
};

class WireTransfers : public ::testing::Test {
 protected:
  ScriptedTransport device;
  TransferRecorder recorder{device};
  Channel channel{recorder};
  DaBoot boot{channel, fast_timing()};
  DaCommands commands{channel, fast_timing()};
};

TEST_F(WireTransfers, Stage2ConfigIsElevenTransfers) {
  add_stage2_config(device);
  boot.send_stage2_config(0xFF, 0x01);
  EXPECT_EQ(recorder.writes, (Sizes{1, 1, 2, 1, 4, 1, 4, 1, 1, 1, 1}));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(WireTransfers, Stage2UploadHeaderIsThreeTransfers) {
  const Bytes image(0x1800, 0x42);
  add_stage2_upload(device, 0x80000000, image);
  boot.upload_stage2(0x80000000, image, nullptr);
  EXPECT_EQ(recorder.writes, (Sizes{4, 4, 4, 0x1000, 0x800, 1}));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(WireTransfers, ReadHeaderIsFiveTransfersThenThePacketSize) {
  const Bytes data(512, 0x11);
  add_read(device, 0x08, 0x200, data);
  Bytes out(512);
  commands.read(wire::HwPartition::user, 0x200, out);
  // 60 + id, then D6 | 0C | 02 | address | length, packet size after the ACK, the chunk ACK.
  EXPECT_EQ(recorder.writes, (Sizes{1, 1, 1, 1, 1, 8, 8, 4, 1}));
  EXPECT_EQ(out, data);
}

TEST_F(WireTransfers, WriteHeaderIsSixTransfers) {
  const Bytes data(1024, 0x22);
  device.expect(Bytes{0x62, 0x02, 0x08} + be64(0x8000) + be64(data.size()) + be32(0x100000)).reply({0x5A});
  device.expect(Bytes{0x5A} + data + be16(sum16(data))).reply({0x69});
  commands.write(wire::HwPartition::user, 0x8000, data);
  // 62 | storage | partition | address | length | packet size, then per chunk 5A | data | checksum.
  EXPECT_EQ(recorder.writes, (Sizes{1, 1, 1, 8, 8, 4, 1, 1024, 2}));
  EXPECT_TRUE(device.finished()) << device.position();
}

TEST_F(WireTransfers, RebootIsSixTransfers) {
  device.expect({0xDB, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}).reply({0x5A});
  commands.reboot();
  EXPECT_EQ(recorder.writes, (Sizes{1, 4, 1, 1, 1, 1}));
}

TEST_F(WireTransfers, SpeedSwitchIsTwoTransfers) {
  device.expect({0x72}).reply({0x5A, 0x00});
  device.expect({0x70, 0x01}).reply({0x5A});
  ScriptedTransport after;
  after.expect({0x72}).reply({0x5A, 0x01});
  commands.ensure_high_speed([&] { channel.rebind(after); });
  EXPECT_EQ(recorder.writes, (Sizes{1, 1, 1})) << "72, then 70 | 01 (the 72 after it goes to the new link)";
}

}  // namespace
}  // namespace mtkfs::da
