// Every field of docs/protocol/da-file.md §5, decoded independently of the writer.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "sim/image/image.h"
#include "tests/sim_image/test_util.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

using test::read_cstring;
using test::read_le;

std::vector<std::uint8_t> load(const std::filesystem::path& file) {
  return test::read_bytes(file, 0, std::filesystem::file_size(file));
}

bool contains(const std::vector<std::uint8_t>& hay, const std::vector<std::uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

class SyntheticDa : public ::testing::Test {
 protected:
  void SetUp() override {
    write_synthetic_da(dir_ / "da.bin");
    f_ = load(dir_ / "da.bin");
  }
  testing::TempDir dir_;
  std::vector<std::uint8_t> f_;
};

TEST_F(SyntheticDa, HeaderFields) {
  ASSERT_EQ(f_.size(), 0x4400u);
  EXPECT_EQ(read_cstring(f_, 0x00, 32), "MTK_DOWNLOAD_AGENT");
  for (std::size_t i = 18; i < 32; ++i) EXPECT_EQ(f_[i], 0) << i;
  const std::string description = read_cstring(f_, 0x20, 64);
  EXPECT_EQ(description, "MTKFS_SIM_DA_v1 legacy MT8590");
  for (std::size_t i = 0x20 + description.size(); i < 0x60; ++i) EXPECT_EQ(f_[i], 0) << i;
  EXPECT_EQ(read_le(f_, 0x60, 4), 4u);
  EXPECT_EQ((std::vector<std::uint8_t>(f_.begin() + 0x64, f_.begin() + 0x68)),
            (std::vector<std::uint8_t>{0x99, 0x88, 0x66, 0x22}));
  EXPECT_EQ(read_le(f_, 0x68, 4), 1u);
  for (std::size_t i = 0x148; i < 0x1000; ++i) ASSERT_EQ(f_[i], 0) << "padding byte " << i;
}

TEST_F(SyntheticDa, EntryFields) {
  const std::size_t e = 0x6C;
  EXPECT_EQ(f_[e], 0xDA);
  EXPECT_EQ(f_[e + 1], 0xDA);
  EXPECT_EQ(f_[e + 2], 0x90);  // hw_code 0x8590, little-endian
  EXPECT_EQ(f_[e + 3], 0x85);
  EXPECT_EQ(read_le(f_, e + 0x04, 2), 0u);       // hw_sub_code
  EXPECT_EQ(read_le(f_, e + 0x06, 2), 0xCA00u);  // hw_ver
  EXPECT_EQ(read_le(f_, e + 0x08, 2), 0u);       // sw_ver
  for (std::size_t i = 0x0A; i < 0x10; ++i) EXPECT_EQ(f_[e + i], 0) << i;
  EXPECT_EQ(read_le(f_, e + 0x10, 2), 0u);  // entry_region_index
  EXPECT_EQ(read_le(f_, e + 0x12, 2), 3u);  // load_regions_count

  const struct {
    std::uint32_t offset, len, addr, sig_off, sig_len;
  } expected[] = {{0x1000, 0x200, 0x80010000, 0x200, 0},
                  {0x1200, 0x1100, 0x00200000, 0x1000, 0x100},
                  {0x2300, 0x2100, 0x80000000, 0x2000, 0x100}};
  for (std::size_t r = 0; r < 3; ++r) {
    const std::size_t base = e + 0x14 + r * 20;
    SCOPED_TRACE("region " + std::to_string(r));
    EXPECT_EQ(read_le(f_, base + 0x00, 4), expected[r].offset);
    EXPECT_EQ(read_le(f_, base + 0x04, 4), expected[r].len);
    EXPECT_EQ(read_le(f_, base + 0x08, 4), expected[r].addr);
    EXPECT_EQ(read_le(f_, base + 0x0C, 4), expected[r].sig_off);
    EXPECT_EQ(read_le(f_, base + 0x10, 4), expected[r].sig_len);
    EXPECT_LE(expected[r].offset + expected[r].len, f_.size());
    EXPECT_EQ(expected[r].sig_off + expected[r].sig_len, expected[r].len);  // the C tool's rule
  }
  for (std::size_t i = 0x50; i < 0xDC; ++i) ASSERT_EQ(f_[e + i], 0) << "regions 3-9 byte " << i;
  // mtkclient's 0xD8-entry probe must not see DA DA.
  EXPECT_FALSE(f_[0x6C + 0xD8] == 0xDA && f_[0x6C + 0xD9] == 0xDA);
}

TEST_F(SyntheticDa, PayloadTagsAndDa2HashInDa1) {
  EXPECT_EQ(read_cstring(f_, 0x1000, 0x200), "MTKFS-SIM DA0");
  EXPECT_EQ(read_cstring(f_, 0x1200, 0x100), "MTKFS-SIM DA1");
  EXPECT_EQ(read_cstring(f_, 0x2300, 0x40), "MTKFS-SIM DA2");
  EXPECT_EQ(std::string(f_.begin() + 0x1200 + 0x200, f_.begin() + 0x1200 + 0x210), "DA2_SHA256_HASH:");

  std::array<std::uint8_t, 32> digest{};
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(f_.data() + 0x2300, 0x2000, digest.data(), &len, EVP_sha256(), nullptr), 1);
  ASSERT_EQ(len, 32u);
  EXPECT_TRUE(std::equal(digest.begin(), digest.end(), f_.begin() + 0x1200 + 0x210));

  // Signature fillers are deterministic text, distinct per stage.
  EXPECT_EQ(read_cstring(f_, 0x2200, 16), "MTKFS-SIM SIG1");
  EXPECT_EQ(read_cstring(f_, 0x2200 + 0xF0, 16), "MTKFS-SIM SIG1");
  EXPECT_EQ(read_cstring(f_, 0x4300, 16), "MTKFS-SIM SIG2");
  EXPECT_EQ(read_cstring(f_, 0x43F0, 16), "MTKFS-SIM SIG2");
}

TEST_F(SyntheticDa, NoForbiddenPatterns) {
  EXPECT_FALSE(contains(f_, {0x08, 0xB5, 0x4F, 0xF4, 0x50, 0x42}));
  EXPECT_FALSE(contains(f_, {0x30, 0xB5, 0x85, 0xB0, 0x03, 0xAB}));
  EXPECT_FALSE(contains(f_, {0x70, 0xB5, 0x4A, 0xF2, 0xC8, 0x64}));
  EXPECT_FALSE(contains(f_, bytes_of("MMU MAP: VA")));
  EXPECT_FALSE(contains(f_, bytes_of("MTK_DA_v6")));
}

TEST_F(SyntheticDa, DeterministicAndOverwritesExistingFiles) {
  const auto other = dir_ / "other.bin";
  test::run("head -c 100000 /dev/urandom > '" + other.string() + "'");
  ASSERT_EQ(std::filesystem::file_size(other), 100000u);
  write_synthetic_da(other);
  EXPECT_EQ(load(other), f_);
}

TEST_F(SyntheticDa, UnwritablePathThrows) {
  EXPECT_THROW(write_synthetic_da(dir_ / "missing-dir" / "da.bin"), std::runtime_error);
}

}  // namespace
}  // namespace mtkfs::sim::image
