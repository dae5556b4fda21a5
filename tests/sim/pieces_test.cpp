// The small pieces: size parsing, the simulator's own DA file reader, checksums, region files.
#include <gtest/gtest.h>

#include "sim/checksum.h"
#include "sim/da_file.h"
#include "sim/regions.h"
#include "sim_fixture.h"

namespace mtkfs::simtest {
namespace {

TEST(Checksums, Xor16IsIncrementalAcrossOddPiecesAndSum16WrapsAt16Bits) {
  const Bytes data = pattern(1001, 3);
  sim::Xor16 whole, pieces;
  whole.update(data);
  pieces.update(std::span(data).first(3));
  pieces.update(std::span(data).subspan(3, 500));
  pieces.update(std::span(data).subspan(503));
  EXPECT_EQ(whole.value(), pieces.value());
  EXPECT_EQ(whole.value(), TestDa::xor16(data));
  sim::Xor16 example;
  example.update(Bytes{0, 1, 2, 3, 4, 5, 6});
  EXPECT_EQ(example.value(), 0x0700);
  EXPECT_EQ(sim::byte_sum16(Bytes(512, 0xFF)), 0xFE00);
  // The vector path against a plain sum, for every alignment and tail length around its 32-byte step.
  const Bytes big = pattern(5000, 9);
  for (std::size_t offset = 0; offset < 4; ++offset) {
    for (const std::size_t n : {0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 4000}) {
      const Bytes part(big.begin() + static_cast<std::ptrdiff_t>(offset), big.begin() + static_cast<std::ptrdiff_t>(offset + n));
      EXPECT_EQ(sim::byte_sum16(part), sum16(part)) << offset << "+" << n;
    }
  }
}

const sim::DeviceIdentity kNwA50{0x8590, 0xCB01, 0x0102};

std::filesystem::path write_bytes(const testing::TempDir& dir, const Bytes& bytes) {
  const auto path = dir.path() / "da.bin";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(DaFile, SelectsTheMt8590EntryAndItsRegionsOneAndTwo) {
  testing::TempDir dir;
  const TestDa da;
  const auto expected = sim::load_expected_da(write_bytes(dir, da.file), kNwA50);
  EXPECT_EQ(expected.stage1.bytes, da.stage1);
  EXPECT_EQ(expected.stage2.bytes, da.stage2);
  EXPECT_EQ(expected.stage1.sig_len, 0x100u);
  EXPECT_EQ(expected.stage1.load_address, 0x00200000u);
  EXPECT_EQ(expected.stage2.load_address, 0x80000000u);
}

TEST(DaFile, RejectsBrokenFilesWithAReason) {
  testing::TempDir dir;
  auto broken = [&](auto mutate, const char* needle) {
    TestDa da;
    mutate(da.file);
    try {
      sim::load_expected_da(write_bytes(dir, da.file), kNwA50);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  broken([](Bytes& f) { f[0] = 'X'; }, "MTK_DOWNLOAD_AGENT");
  broken([](Bytes& f) { std::memcpy(f.data() + 0x20, "MTK_DA_v6", 9); }, "MTK_DA_v6");
  broken([](Bytes& f) { f[0x6C + 2] = 0x80; f[0x6C + 3] = 0x65; }, "no entry for hw code 0x8590");
  broken([](Bytes& f) { f[0x6C + 7] = 0xCC; }, "no entry");  // hw_ver 0xCC00 > 0xCB01
  broken([](Bytes& f) { f[0x6C] = 0; }, "0xDADA");
  broken([](Bytes& f) { f[0x6C + 0x3C + 1] = 0x50; }, "truncated");  // region 2 offset past the end
  broken([](Bytes& f) { f.resize(0x50); }, "truncated");
  broken([](Bytes& f) { f[0x6C + 0x12] = 2; }, "stage-2");
  broken([](Bytes& f) { f[0x6C + 0x28 + 16] = 0x00; f[0x6C + 0x28 + 17] = 0x20; }, "signature longer");
}

TEST(DaFile, OldStyleEntriesOf0xD8BytesAreRecognised) {
  // Two 0xD8-byte entries: a 0x6580 one first, then 0x8590 (regions start at entry + 0x10).
  TestDa da;
  Bytes f(0x4400, 0);
  std::copy(da.file.begin(), da.file.begin() + 0x68, f.begin());
  f[0x68] = 2;
  auto entry = [&](std::size_t e, std::uint16_t hw) {
    f[e] = 0xDA;
    f[e + 1] = 0xDA;
    f[e + 2] = static_cast<std::uint8_t>(hw);
    f[e + 3] = static_cast<std::uint8_t>(hw >> 8);
    f[e + 0x0E] = 3;
    std::copy(da.file.begin() + 0x6C + 0x14, da.file.begin() + 0x6C + 0x14 + 60, f.begin() + static_cast<std::ptrdiff_t>(e + 0x10));
  };
  entry(0x6C, 0x6580);
  entry(0x6C + 0xD8, 0x8590);
  std::copy(da.file.begin() + 0x1000, da.file.end(), f.begin() + 0x1000);
  testing::TempDir dir;
  const auto expected = sim::load_expected_da(write_bytes(dir, f), kNwA50);
  EXPECT_EQ(expected.stage2.bytes, da.stage2);
}

TEST(Regions, CreatesSparseFilesAndHonoursExistingSizes) {
  SimDir dir;
  std::filesystem::create_directories(dir.config.dir);
  write_region(dir.config.dir, "boot2.img", 2 << 20);
  sim::Regions regions(dir.config);
  EXPECT_EQ(regions.size(wire::HwPartition::boot1), 4u << 20);
  EXPECT_EQ(regions.size(wire::HwPartition::boot2), 2u << 20) << "an existing file's size wins";
  EXPECT_EQ(regions.size(wire::HwPartition::rpmb), 16u << 20);
  EXPECT_EQ(regions.size(wire::HwPartition::user), kTestUserSize);
  EXPECT_EQ(regions.size(wire::HwPartition::gp1), 0u);
  EXPECT_EQ(std::filesystem::file_size(dir.image("user.img")), kTestUserSize);
}

TEST(Regions, ExplicitUserSizeThatDisagreesWithTheFileIsAnError) {
  SimDir dir;
  std::filesystem::create_directories(dir.config.dir);
  write_region(dir.config.dir, "user.img", 4 << 20);
  try {
    sim::SocketServer server(dir.config, dir.socket());
    ADD_FAILURE() << "accepted a user.img of the wrong size";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("user-area size"), std::string::npos) << e.what();
  }
  dir.config.user_size.reset();
  sim::SocketServer server(dir.config, dir.socket());  // without --user-size the file decides
  auto host = StreamHost::connect(dir.socket());
  bring_to_da2(*host, dir.da, 4 << 20);
}

TEST(Regions, SizesThatAreNotWholeSectorsAreRejected) {
  SimDir dir;
  std::filesystem::create_directories(dir.config.dir);
  write_region(dir.config.dir, "boot1.img", 1000);
  EXPECT_THROW(sim::Regions regions(dir.config), std::runtime_error);
}

}  // namespace
}  // namespace mtkfs::simtest
