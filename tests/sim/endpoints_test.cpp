// (e) The three endpoints: pty specifics, and the USB model's libusb semantics (overflow, no ZLP,
// coalescing after 300 ms).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

TEST(PtyEndpoint, FullFlowThenReopenGivesAFreshPreloader) {
  SimDir dir;
  const auto link = dir.temp.path() / "ttyACM42";
  sim::PtyServer server(dir.config, link);
  EXPECT_EQ(std::filesystem::read_symlink(link).string(), server.slave_path());
  {
    auto host = StreamHost::open_tty(link.string());
    bring_to_da2(*host, dir.da);
    select_partition(*host, 0x08);
    EXPECT_EQ(read_d6(*host, 0, 0x20000, 0x8000), Bytes(0x20000, 0));
  }
  auto host = StreamHost::open_tty(server.slave_path());
  bring_to_da2(*host, dir.da);
}

TEST(PtyEndpoint, RebootHangsUpThePortAndANewPtyTakesItsPlace) {
  SimDir dir;
  const auto link = dir.temp.path() / "ttyACM43";
  sim::PtyServer server(dir.config, link);
  auto host = StreamHost::open_tty(link.string());
  bring_to_da2(*host, dir.da);
  host->send({0xDB, 0, 0, 0, 0, 0, 0, 0, 1});
  host->expect({0x5A});
  EXPECT_TRUE(host->closed_within(3s)) << "the old port hangs up";
  host.reset();
  // As with a real ttyACM node, the port is back a moment later (maybe under the same number).
  for (int attempt = 0; attempt < 300 && !host; ++attempt) {
    try {
      host = StreamHost::open_tty(link.string());
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(10ms);
    }
  }
  ASSERT_TRUE(host);
  EXPECT_EQ(std::filesystem::read_symlink(link).string(), server.slave_path());
  bring_to_da2(*host, dir.da);
}

TEST(PtyEndpoint, ReadyFlagOnlyWhileAHostHasThePortOpen) {
  SimDir dir;
  dir.config.ready = true;
  sim::PtyServer server(dir.config);
  std::this_thread::sleep_for(100ms);  // nobody listening: nothing may pile up in the port
  auto host = StreamHost::open_tty(server.slave_path());
  EXPECT_EQ(host->receive(5), (Bytes{'R', 'E', 'A', 'D', 'Y'}));
  handshake(*host);
}

class UsbEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    model = std::make_unique<sim::UsbDeviceModel>(dir.config);
    host = std::make_unique<UsbHost>(*model);
    host->set_line_coding();
  }
  SimDir dir;
  std::unique_ptr<sim::UsbDeviceModel> model;
  std::unique_ptr<UsbHost> host;
};

TEST_F(UsbEndpoint, TooSmallBufferOverflowsAndLosesThatPacket) {
  Bytes one(1);
  // mtkclient reads 1 byte per handshake step; a pending READY overflows it
  // (docs/protocol/preloader.md §3.3).
  const auto ready = model->bulk_in(one, 5s);
  EXPECT_EQ(ready.status, sim::UsbStatus::overflow);
  EXPECT_EQ(ready.transferred, 0u);
  handshake(*host);
  host->send({0xFC});
  host->expect_unit({0xFC});
  const auto r = model->bulk_in(one, 5s);  // the 2-byte subcode unit
  EXPECT_EQ(r.status, sim::UsbStatus::overflow);
  EXPECT_EQ(r.transferred, 0u);
  host->expect_units({{0xCB, 0x01}, {0x01, 0x02}, {0x00, 0x00}}, "8A00 is gone, the rest follows");
}

TEST_F(UsbEndpoint, OverflowCountsTheBytesBeforeTheLongPacket) {
  handshake(*host);
  host->send({0xFD});
  Bytes buf(2);
  const auto r = model->bulk_in(buf, 5s);  // FD (short packet) ends the transfer first
  EXPECT_EQ(r.status, sim::UsbStatus::ok);
  EXPECT_EQ(r.transferred, 1u);
  host->expect_units({{0x85, 0x90}, {0x00, 0x00}});
  preloader_to_da(*host, dir.da);
  // The big DA1 sync reads fine with packet-sized buffers; now a 1 MiB + checksum read in a 700-byte
  // buffer: the first full packet fits, the second does not.
  da1_to_stage2_ack(*host, dir.da);
  expect_report(*host, kTestUserSize);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x400)}));
  host->expect_unit({0x5A});
  host->send(be32(0x100000));
  Bytes odd(700);
  const auto o = model->bulk_in(odd, 5s);
  EXPECT_EQ(o.status, sim::UsbStatus::overflow);
  EXPECT_EQ(o.transferred, 512u);
}

TEST_F(UsbEndpoint, PrefixedTrailerOverflowsAnExactTenByteReadLikeMtkclient2) {
  model.reset();
  dir.config.trailer = sim::Trailer::prefixed;
  model = std::make_unique<sim::UsbDeviceModel>(dir.config);
  host = std::make_unique<UsbHost>(*model);
  host->set_line_coding();
  handshake(*host);
  preloader_to_da(*host, dir.da);
  da1_to_stage2_ack(*host, dir.da);
  for (const Bytes& u : report_units(4 << 20, 4 << 20, 16 << 20, kTestUserSize)) host->expect_unit(u);
  Bytes ten(10);
  const auto r = model->bulk_in(ten, 5s);
  EXPECT_EQ(r.status, sim::UsbStatus::overflow) << "docs/protocol/usb.md §8: 14-byte packet into a 10-byte read";
}

TEST_F(UsbEndpoint, NoZeroLengthPacketAfterAFullPacketMultiple) {
  bring_to_da2(*host, dir.da);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x200)}));
  host->expect_unit({0x5A});
  host->send(be32(0x100000));
  Bytes p(512);
  auto r = model->bulk_in(p, 5s);
  EXPECT_EQ(r.status, sim::UsbStatus::ok);
  EXPECT_EQ(r.transferred, 512u);
  r = model->bulk_in(p, 5s);  // a ZLP would show up here as an empty transfer
  EXPECT_EQ(r.status, sim::UsbStatus::ok);
  EXPECT_EQ(r.transferred, 2u);
  host->send({0x5A});
  // With room for more, a 512-multiple chunk does not end the transfer: the checksum joins it.
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0x400)}));
  host->expect_unit({0x5A});
  host->send(be32(0x100000));
  Bytes big(0x800);
  r = model->bulk_in(big, 5s);
  EXPECT_EQ(r.status, sim::UsbStatus::ok);
  EXPECT_EQ(r.transferred, 0x402u);
  host->send({0x5A});
}

TEST_F(UsbEndpoint, UnitsCoalesceWhenTheHostDoesNotReadFor300ms) {
  handshake(*host);
  host->send({0xFC});
  // Each of the five units waits 300 ms for collection before the next one is appended.
  std::this_thread::sleep_for(1800ms);
  host->expect_unit({0xFC, 0x8A, 0x00, 0xCB, 0x01, 0x01, 0x02, 0x00, 0x00}, "one coalesced packet");
}

TEST_F(UsbEndpoint, OffTheBusEverythingReportsNoDevice) {
  bring_to_da2(*host, dir.da);
  host->send({0xD9});
  host->expect_unit({0x5A});
  host->send(be32(1));
  host->expect_unit({0x5A});
  ASSERT_TRUE(model->wait_disconnected(5s));
  // Racing the re-enumeration: whichever call lands off the bus must say so.
  const Bytes b = {0x72};
  const auto out = model->bulk_out(b, 10ms);
  EXPECT_TRUE(out.status == sim::UsbStatus::no_device || out.status == sim::UsbStatus::ok);
  EXPECT_TRUE(model->wait_enumerated(5s));
  EXPECT_EQ(model->product_id(), 0x2000);
}

// --fault-d6-pieces: the chunk leaves as transfers of the given size; one that ends on a packet
// boundary is closed by a zero-length packet, which ends the host's transfer with what it holds.
TEST_F(UsbEndpoint, ReadChunkInPiecesWithZeroLengthPackets) {
  model.reset();
  dir.config.faults.d6_pieces = 1024;
  model = std::make_unique<sim::UsbDeviceModel>(dir.config);
  host = std::make_unique<UsbHost>(*model);
  host->set_line_coding();
  bring_to_da2(*host, dir.da);
  host->send(cat({{0xD6, 0x0C, 0x02}, be64(0), be64(0xA00)}));
  host->expect_unit({0x5A});
  host->send(be32(0x100000));
  // Without the zero-length packets one 4 KiB transfer would take all 2560 bytes and the checksum.
  Bytes big(0x1000);
  for (const std::size_t expected : {1024u, 1024u, 512u}) {
    const auto r = model->bulk_in(big, 5s);
    EXPECT_EQ(r.status, sim::UsbStatus::ok);
    EXPECT_EQ(r.transferred, expected) << "each piece ends its transfer (two with a ZLP, the last with one too)";
  }
  const auto sum = model->bulk_in(big, 5s);
  EXPECT_EQ(sum.transferred, 2u) << "the checksum is its own unit";
  host->send({0x5A});
}

// --strict-receiver: the DA takes one host transfer per field and drops the rest of it.
TEST_F(UsbEndpoint, StrictReceiverDropsFieldsPackedIntoOneTransfer) {
  model.reset();
  dir.config.strict_receiver = true;
  model = std::make_unique<sim::UsbDeviceModel>(dir.config);
  host = std::make_unique<UsbHost>(*model);
  host->set_line_coding();
  handshake(*host);
  preloader_to_da(*host, dir.da);
  host->expect_units({{0xC0}, {0x00, 0x00, 0x0B, 0xC4}, {0x00, 0x07}}, "DA1 sync");
  for (int i = 0; i < 7; ++i) host->expect_unit({0x00, 0x00}, "nand id");
  host->expect_unit({0x00, 0x00, 0x00, 0x00}, "emmc_ret");
  for (int w = 0; w < 4; ++w) host->receive(4);
  host->send({0x5A});
  host->expect_units({{0x04}, {0x02}, {0x91}}, "versions");
  // Field by field, as the working tools send it: accepted.
  for (const Bytes& field : std::vector<Bytes>{{0xFF}, {0x01}, {0x00, 0x08}, {0x00}, {0x70, 0x07, 0xFF, 0xFF},
                                               {0x01}, {0x00, 0x00, 0x00, 0x00}, {0x02}, {0x01}, {0x02}, {0x00}})
    host->send(field);
  host->expect_unit({0x00, 0x00, 0x00, 0x00}, "config status");
  // The stage-2 header as one 12-byte transfer: the DA keeps the load address and drops the rest,
  // so it still waits for the length and never answers.
  host->send({0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00});
  EXPECT_TRUE(host->silent_for(300ms));
}

TEST_F(UsbEndpoint, ControlRequestsPerUsbMd) {
  EXPECT_EQ(model->control_out(0x21, 0x22, 3, 0, {}), sim::UsbStatus::ok);
  EXPECT_EQ(model->control_out(0x21, 0x23, 0, 0, {}), sim::UsbStatus::ok);
  EXPECT_EQ(model->control_out(0x00, 0x09, 1, 0, {}), sim::UsbStatus::ok);   // SET_CONFIGURATION
  EXPECT_EQ(model->control_out(0x02, 0x01, 0, 0x81, {}), sim::UsbStatus::stall);  // CLEAR_FEATURE
  EXPECT_EQ(model->control_out(0xA1, 0x21, 0, 0, {}), sim::UsbStatus::stall);  // IN request
}

}  // namespace
}  // namespace mtkfs::simtest
