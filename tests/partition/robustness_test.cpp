// Deterministic mutation tests standing in for a fuzzer until one exists: whatever the bytes,
// read_table must not throw, must only read inside the region and must keep its extent promises.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "disk_builder.h"
#include "nwa50_layout.h"
#include "partition/gpt.h"
#include "partition/mbr.h"
#include "partition/pmt.h"
#include "partition/partition_table.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

void mutate(SparseDisk& disk, std::mt19937& rng, int flips) {
  auto& sectors = disk.raw_sectors();
  std::vector<std::uint64_t> lbas;
  for (const auto& [lba, _] : sectors) lbas.push_back(lba);
  for (int i = 0; i < flips; ++i) {
    Sector& s = sectors[lbas[rng() % lbas.size()]];
    // Bias towards the fields that matter: entry tables and headers.
    const std::size_t at = (rng() % 2) ? 0x1BE + rng() % 66 : rng() % 512;
    s[at] = (rng() % 3 == 0) ? 0xFF : static_cast<std::uint8_t>(rng());
  }
}

TEST(Robustness, MutatedNwA50Disks) {
  std::mt19937 rng(20240501);
  int with_table = 0;
  int damaged = 0;
  for (int round = 0; round < 300; ++round) {
    SparseDisk disk(kNwA50RegionSize);
    write_nwa50_mbr(disk, round % 2 ? LastCount::ptgen : LastCount::exact_to_pmt);
    write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x58, "1.1"), pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
    mutate(disk, rng, 1 + round % 8);
    Table t;
    ASSERT_NO_THROW(t = read_table(disk.reader(), kNwA50RegionSize)) << "round " << round;
    expect_sane(t, kNwA50RegionSize);
    EXPECT_LE(disk.reads(), 2 + kMaxEbrs + 300);
    if (t.scheme == Scheme::mbr) ++with_table;
    if (t.extents.size() < nwa50_partitions().size()) ++damaged;
  }
  EXPECT_GT(with_table, 100);
  EXPECT_GT(damaged, 20);
}

TEST(Robustness, MutatedGptDisks) {
  std::mt19937 rng(77);
  const std::uint64_t size = 8ull << 20;
  std::vector<GptPart> parts;
  for (std::uint64_t i = 0; i < 20; ++i) parts.push_back({100 + i * 100, 199 + i * 100, u"part"});
  int seen[3] = {};
  for (int round = 0; round < 200; ++round) {
    SparseDisk disk(size);
    write_gpt(disk, parts, parts);
    mutate(disk, rng, 1 + round % 4);
    // Mutations rarely keep a CRC valid, so half the rounds fix both primary CRCs up to reach
    // the header-field and entry checks behind them.
    Sector& header = disk.raw_sectors()[1];
    if (round % 2 == 0 && std::memcmp(header.data(), "EFI PART", 8) == 0) {
      Bytes array(128 * 128);
      disk.read(2 * 512, array);
      put32(&header[0x58], zlib_crc(array.data(), array.size()));
      const std::uint32_t header_size = header[0x0C] | header[0x0D] << 8 | header[0x0E] << 16 | header[0x0F] << 24;
      put32(&header[0x10], 0);
      put32(&header[0x10], zlib_crc(header.data(), std::clamp<std::uint32_t>(header_size, 92, 512)));
    }
    Table t;
    ASSERT_NO_THROW(t = read_table(disk.reader(), size)) << "round " << round;
    expect_sane(t, size);
    ++seen[static_cast<int>(t.scheme)];
  }
  // The mutations must leave both outcomes common, or this test checks nothing.
  EXPECT_GT(seen[static_cast<int>(Scheme::gpt)], 20);
  EXPECT_GT(seen[static_cast<int>(Scheme::none)] + seen[static_cast<int>(Scheme::mbr)], 5);
}

TEST(Robustness, RandomBytesIntoPureParsers) {
  std::mt19937 rng(5);
  std::vector<std::string> warnings;
  for (int round = 0; round < 2000; ++round) {
    Bytes bytes(rng() % 0x2100);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : 0);
    if (bytes.size() >= 8 && round % 2) put32(bytes.data(), kPTv1);
    const std::uint64_t region = 1 + rng() % (1ull << 34);
    const auto pmt = parse_pmt(bytes, region, warnings);
    const auto records = parse_pmt_records(bytes, region);
    for (const auto* table : {pmt ? &pmt.value->table : nullptr, records ? &*records.value : nullptr}) {
      if (table == nullptr) continue;
      ASSERT_FALSE(table->records.empty());
      ASSERT_LE(table->records.size(), kPmtMaxRecords);
      for (const PmtRecord& r : table->records) {
        EXPECT_LT(r.offset, region);
        EXPECT_EQ(r.offset % 512, 0u);
        EXPECT_FALSE(r.name.empty());
        EXPECT_TRUE(std::all_of(r.name.begin(), r.name.end(), [](char c) { return c >= 0x20 && c <= 0x7E; }));
      }
    }
    EXPECT_EQ(static_cast<bool>(parse_mbr_sector(bytes)), bytes.size() >= 512 && bytes[510] == 0x55 && bytes[511] == 0xAA);
    const auto header = parse_gpt_header(bytes, rng() % 4, region);
    if (header) {
      EXPECT_LE(header.value->entries_bytes(), 1024u * 1024u);
      EXPECT_LE(header.value->entries_lba * 512 + header.value->entries_bytes(), region);
    }
    warnings.clear();
  }
}

TEST(Robustness, ReadErrorsPropagate) {
  const ReadFn failing = [](std::uint64_t, std::span<std::uint8_t>) { throw std::runtime_error("link lost"); };
  EXPECT_THROW(read_table(failing, 1ull << 30), std::runtime_error);
}

}  // namespace
}  // namespace mtkfs::partition::test
