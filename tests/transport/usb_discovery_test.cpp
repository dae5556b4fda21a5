#include <gtest/gtest.h>

#include <string>

#include "transport/usb_discovery.h"

namespace mtkfs::transport::usb {
namespace {

TEST(UsbClassify, MediatekProductIds) {
  EXPECT_EQ(classify(0x0e8d, 0x0003), BootStage::brom);
  EXPECT_EQ(classify(0x0e8d, 0x2000), BootStage::preloader);
  EXPECT_EQ(classify(0x0e8d, 0x20ff), BootStage::preloader);
  EXPECT_EQ(classify(0x0e8d, 0x3000), BootStage::preloader);
  EXPECT_EQ(classify(0x0e8d, 0x6000), BootStage::preloader);
  EXPECT_EQ(classify(0x0e8d, 0x2001), BootStage::da);
  EXPECT_EQ(classify(0x0e8d, 0x1234), std::nullopt);
  EXPECT_EQ(classify(0x18d1, 0x2000), std::nullopt) << "other vendors are never MediaTek";
  EXPECT_STREQ(stage_name(BootStage::preloader), "Preloader");
  EXPECT_STREQ(stage_name(BootStage::brom), "BROM");
  EXPECT_STREQ(stage_name(BootStage::da), "DA");
}

EndpointInfo bulk(std::uint8_t address, std::uint16_t mps) {
  return {address, TransferType::bulk, mps};
}

// The NW-A50 Preloader (docs/protocol/usb.md §2): interface 0 is the DATA interface, 1 the CDC
// control one.
std::vector<InterfaceInfo> nw_a50_preloader(std::uint16_t mps = 512) {
  InterfaceInfo data{0, 0, 0x0a, 0x00, 0x00, {bulk(0x01, mps), bulk(0x81, mps)}};
  InterfaceInfo control{1, 0, 0x02, 0x02, 0x01, {{0x83, TransferType::interrupt, 64}}};
  return {data, control};
}

TEST(UsbInterfaceChoice, NwA50DataInterfaceIsNumberZero) {
  const BulkInterfaceChoice c = choose_bulk_interface(nw_a50_preloader());
  EXPECT_EQ(c.data_interface, 0);
  EXPECT_EQ(c.endpoint_in, 0x81);
  EXPECT_EQ(c.endpoint_out, 0x01);
  EXPECT_EQ(c.max_packet_size, 512);
  ASSERT_TRUE(c.control_interface.has_value());
  EXPECT_EQ(*c.control_interface, 1);
}

TEST(UsbInterfaceChoice, ConventionalOrderAndFullSpeed) {
  // Control first, data second (the usual CDC layout) at full speed: nothing is hard-coded.
  InterfaceInfo control{0, 0, 0x02, 0x02, 0x01, {{0x82, TransferType::interrupt, 16}}};
  InterfaceInfo data{1, 0, 0x0a, 0x00, 0x00, {bulk(0x83, 64), bulk(0x04, 64)}};
  const BulkInterfaceChoice c = choose_bulk_interface({control, data});
  EXPECT_EQ(c.data_interface, 1);
  EXPECT_EQ(c.endpoint_in, 0x83);
  EXPECT_EQ(c.endpoint_out, 0x04);
  EXPECT_EQ(c.max_packet_size, 64);
  EXPECT_EQ(c.control_interface, std::optional<std::uint8_t>(0));
}

TEST(UsbInterfaceChoice, PrefersCdcDataOverOtherBulkInterfaces) {
  InterfaceInfo vendor{0, 0, 0xff, 0x00, 0x00, {bulk(0x81, 512), bulk(0x01, 512)}};
  InterfaceInfo data{2, 0, 0x0a, 0x00, 0x00, {bulk(0x02, 512), bulk(0x85, 512)}};
  const BulkInterfaceChoice c = choose_bulk_interface({vendor, data});
  EXPECT_EQ(c.data_interface, 2);
  EXPECT_EQ(c.endpoint_in, 0x85);
  EXPECT_FALSE(c.control_interface.has_value());
}

TEST(UsbInterfaceChoice, FallsBackToAnyInterfaceWithOneBulkPair) {
  InterfaceInfo hid{0, 0, 0x03, 0x00, 0x00, {{0x81, TransferType::interrupt, 8}}};
  InterfaceInfo vendor{1, 0, 0xff, 0x00, 0x00, {bulk(0x82, 512), bulk(0x02, 512)}};
  EXPECT_EQ(choose_bulk_interface({hid, vendor}).data_interface, 1);
}

TEST(UsbInterfaceChoice, MaxPacketSizeIgnoresMultiplierBits) {
  InterfaceInfo data{0, 0, 0x0a, 0, 0, {bulk(0x01, 512), bulk(0x81, 0x1200)}};
  EXPECT_EQ(choose_bulk_interface({data}).max_packet_size, 512);
}

TEST(UsbInterfaceChoice, RejectsDevicesWithoutASingleBulkPair) {
  InterfaceInfo two_in{0, 0, 0x0a, 0, 0, {bulk(0x81, 512), bulk(0x82, 512), bulk(0x01, 512)}};
  InterfaceInfo control{1, 0, 0x02, 0x02, 0x01, {{0x83, TransferType::interrupt, 64}}};
  try {
    choose_bulk_interface({two_in, control});
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("interface 0 class 0x0a"), std::string::npos) << text;
    EXPECT_NE(text.find("interface 1 class 0x02"), std::string::npos) << text;
  }
  EXPECT_THROW(choose_bulk_interface({}), TransportError);
  InterfaceInfo zero{0, 0, 0x0a, 0, 0, {bulk(0x01, 512), bulk(0x81, 0)}};
  EXPECT_THROW(choose_bulk_interface({zero}), TransportError);
}

TEST(UsbSelector, ParsesBusAndAddressLikeLsusb) {
  EXPECT_EQ(parse_selector(""), std::nullopt);
  const auto a = parse_selector("001:005");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bus, 1);
  EXPECT_EQ(a->address, 5);
  const auto b = parse_selector("3:117");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bus, 3);
  EXPECT_EQ(b->address, 117);
  for (const char* bad : {"1", "1:", ":5", "1:5:7", "a:b", "1-4", "0e8d:2000", "1:256", "-1:2",
                          " 1:2"}) {
    EXPECT_THROW(parse_selector(bad), TransportError) << bad;
  }
}

Candidate cand(std::uint8_t bus, std::uint8_t addr, std::uint16_t pid, std::string path) {
  return {bus, addr, std::move(path), 0x0e8d, pid};
}

TEST(UsbSelection, NoneOneOrAmbiguous) {
  EXPECT_EQ(select_candidate({}, std::nullopt), std::nullopt);

  const Candidate walkman = cand(1, 5, 0x2000, "1-4");
  const Candidate phone = cand(2, 9, 0x0003, "2-1.3");
  Candidate other_vendor = cand(1, 7, 0x2000, "1-5");
  other_vendor.vid = 0x1234;

  auto only = select_candidate({walkman, other_vendor}, std::nullopt);
  ASSERT_TRUE(only);
  EXPECT_EQ(only->address, 5);

  auto chosen = select_candidate({walkman, phone}, BusAddress{2, 9});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->pid, 0x0003);

  EXPECT_EQ(select_candidate({walkman, phone}, BusAddress{3, 1}), std::nullopt)
      << "a selector that matches nothing means: keep waiting";

  try {
    select_candidate({walkman, phone}, std::nullopt);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("BUS:ADDR"), std::string::npos) << text;
    EXPECT_NE(text.find("001:005"), std::string::npos) << text;
    EXPECT_NE(text.find("002:009"), std::string::npos) << text;
    EXPECT_NE(text.find("0e8d:2000 Preloader"), std::string::npos) << text;
    EXPECT_NE(text.find("0e8d:0003 BROM"), std::string::npos) << text;
  }
}

TEST(UsbSelection, DescribesCandidates) {
  EXPECT_EQ(describe_candidate(cand(1, 5, 0x2000, "1-4")), "usb 1-4 (001:005, 0e8d:2000 Preloader)");
  EXPECT_EQ(describe_candidate(cand(3, 12, 0x2001, "")), "usb ? (003:012, 0e8d:2001 DA)");
}

TEST(UsbHint, TellsTheNwA50KeyCombination) {
  const std::string hint = plug_in_hint();
  EXPECT_NE(hint.find("Power the device off"), std::string::npos);
  EXPECT_NE(hint.find("NW-A50"), std::string::npos);
  EXPECT_NE(hint.find("Volume Down + Play"), std::string::npos);
  EXPECT_NE(hint.find("SD card"), std::string::npos);
  EXPECT_NE(hint.find("keep holding"), std::string::npos);
}

}  // namespace
}  // namespace mtkfs::transport::usb
