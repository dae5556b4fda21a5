// Writes the seed corpora of tests/fuzz/corpus/ (run by hand when an input format changes):
//   mtkfs_fuzz_make_seeds <corpus dir>
// Partition disks come from the partition tests' independent table writers; the DA file is
// docs/protocol/da-file.md §5; device replies and host conversations are hand-built from the spec
// tables or recorded from a real mtkfs host talking to the in-process simulator (seeds_protocol.cpp).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "sim/image/synthetic_da.h"
#include "tests/fuzz/make_seeds.h"
#include "tests/fuzz/partition_input.h"
#include "tests/partition/disk_builder.h"
#include "tests/partition/nwa50_layout.h"

namespace mtkfs::fuzz::seeds {

namespace pin = partition_input;
namespace pb = partition::test;

void write_seed(const std::filesystem::path& dir, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  std::printf("%-60s %7zu bytes\n", (dir / name).c_str(), bytes.size());
}

namespace {

// Every written sector of the builder's disk as patches, adjacent sectors merged.
std::vector<std::uint8_t> disk_seed(pb::SparseDisk& disk, std::uint8_t flags) {
  std::vector<std::uint8_t> out = pin::header(flags, disk.size());
  std::vector<std::uint8_t> run;
  std::uint64_t run_start = 0;
  std::uint64_t next_lba = 0;
  const auto flush = [&] {
    if (run.empty()) return;
    // Patches near the end are written relative to it, as a fuzzer would find them.
    const bool near_end = run_start > disk.size() / 2;
    pin::append_patch(out, near_end ? disk.size() - run_start : run_start, run, near_end);
    run.clear();
  };
  for (const auto& [lba, sector] : disk.raw_sectors()) {
    if (lba != next_lba || run.size() >= 0xF000) {
      flush();
      run_start = lba * 512;
    }
    run.insert(run.end(), sector.begin(), sector.end());
    next_lba = lba + 1;
  }
  flush();
  return out;
}

void partition_seeds(const std::filesystem::path& corpus) {
  const auto dir = corpus / "fuzz_partition";
  {
    pb::SparseDisk disk(64ull << 20);
    const std::vector<pb::GptPart> parts = {{2048, 4095, u"boot"}, {4096, 65535, u"system"}, {65536, 98303, u"data"}};
    pb::write_gpt(disk, parts, parts);
    write_seed(dir, "gpt_64MiB", disk_seed(disk, 0));
    write_seed(dir, "gpt_64MiB_fixcrc", disk_seed(disk, pin::kFlagFixGptCrcs));
    // Primary damaged: the backup at the last LBA must be used.
    disk.byte(512 + 0x20) ^= 0xFF;
    write_seed(dir, "gpt_backup_only", disk_seed(disk, 0));
    auto throwing = disk_seed(disk, pin::kFlagThrowOnRead);
    throwing[9] = 2;  // the third read (the backup entry array) fails
    write_seed(dir, "gpt_backup_read_error", throwing);
  }
  {
    pb::SparseDisk disk(pb::kNwA50RegionSize);
    pb::write_nwa50_mbr(disk, pb::LastCount::ptgen);
    const auto entries = pb::nwa50_pmt_entries();
    pb::write_pmt(disk, pb::pmt_table(entries, 0x58, "1.1"), pb::pmt_table(entries, 0x58, "1.1", pb::kMPT1));
    write_seed(dir, "nwa50_mbr_pmt", disk_seed(disk, 0));
  }
  {
    // One unnamed partition whose ext4 superblock names it (docs/protocol/partitions.md §6
    // item 5), PMT in the old layout.
    pb::SparseDisk disk(8ull << 20);
    disk.write_sector(0, pb::mbr_sector({{0x83, 2048, 4096}, {0x83, 6144, 4096}}));
    std::vector<std::uint8_t> sb(0x200, 0);
    sb[0x38] = 0x53;
    sb[0x39] = 0xEF;
    const std::string mounted = "/system";
    std::copy(mounted.begin(), mounted.end(), sb.begin() + 0x88);
    disk.write(2048 * 512 + 0x400, sb);
    disk.write(disk.size() - 0x100000, pb::pmt_table({{"mbr", 0, 0x100000}, {"cache", 6144 * 512, 4096 * 512}}, 0x4C, ""));
    write_seed(dir, "mbr_ext4_oldpmt", disk_seed(disk, 0));
  }
  // Pure parsers: [flags|pure][region][selector][lba][payload].
  const auto pure = [&](std::uint8_t selector, std::uint64_t region, std::uint64_t lba, const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> out = pin::header(pin::kFlagPure, region, selector);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(lba >> (8 * i)));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  };
  {
    pb::GptHeaderFields f;
    f.backup_lba = 131071;
    f.last_usable = 131038;
    const std::vector<pb::GptPart> parts = {{2048, 4095, u"b\u00f6\U0001F600t"}};
    const auto array = pb::gpt_entry_array(parts);
    f.entries_crc = pb::zlib_crc(array.data(), array.size());
    const auto h = pb::gpt_header(f);
    std::vector<std::uint8_t> payload(h.begin(), h.end());
    payload.insert(payload.end(), array.begin(), array.begin() + 512);
    write_seed(dir, "pure_gpt_header", pure(0, 64ull << 20, 1, payload));
  }
  {
    const auto s = pb::mbr_sector({{0x05, 0x400, 0xFFFFFFFF}, {0x83, 0x2800, 0x1800, 0x80}});
    write_seed(dir, "pure_mbr", pure(1, 0, 0, {s.begin(), s.end()}));
  }
  {
    const auto entries = pb::nwa50_pmt_entries();
    auto window = pb::pmt_table(entries, 0x60, "1.0");
    const auto mirror = pb::pmt_table(entries, 0x60, "1.0", pb::kMPT1);
    window.insert(window.end(), mirror.begin(), mirror.end());
    window[8] ^= 0x80;  // primary unusable: the mirror names the partitions
    write_seed(dir, "pure_pmt_mirror", pure(2, pb::kNwA50RegionSize, 0, window));
  }
  write_seed(dir, "pure_names", pure(3, 0, 0, {'.', '.', 0, 5, 'a', ' ', 0xC3, 0xBC, 0, 6, 'a', '_', '2', 0, 7, 'a', 0, 8, 0xED, 0xA0, 0x80}));
}

void da_file_seeds(const std::filesystem::path& corpus) {
  const auto da = sim::image::build_synthetic_da(sim::image::fuzz_da_options());
  write_seed(corpus / "fuzz_da_file", "synthetic_da", da);
  write_seed(corpus / "fuzz_sim_da_file", "synthetic_da", da);
  // Two entries: one for another chip first, then ours needing a newer hw version than 0xCB01
  // ... and the old 0xD8 entry layout.
  std::vector<std::uint8_t> two = da;
  two[0x68] = 2;
  std::copy(da.begin() + 0x6C, da.begin() + 0x6C + 0xDC, two.begin() + 0x6C + 0xDC);
  two[0x6C + 2] = 0x81;  // first entry: hw code 0x8581
  two[0x6C + 0xDC + 7] = 0xCC;  // second: hw ver 0xCC00
  write_seed(corpus / "fuzz_da_file", "two_entries", two);
  std::vector<std::uint8_t> old(da.begin(), da.begin() + 0x6C);
  old[0x68] = 2;
  for (int e = 0; e < 2; ++e) {
    std::vector<std::uint8_t> entry(0xD8, 0);
    std::copy(da.begin() + 0x6C, da.begin() + 0x6C + 8, entry.begin());  // magic, hw code/sub, hw ver
    entry[0x0E] = 3;                                                       // region count at 0x0E
    std::copy(da.begin() + 0x6C + 0x14, da.begin() + 0x6C + 0x14 + 60, entry.begin() + 0x10);
    old.insert(old.end(), entry.begin(), entry.end());
  }
  old.resize(da.size(), 0);
  std::copy(da.begin() + 0x1000, da.end(), old.begin() + 0x1000);
  write_seed(corpus / "fuzz_da_file", "old_entries", old);
  write_seed(corpus / "fuzz_sim_da_file", "old_entries", old);
}

}  // namespace
}  // namespace mtkfs::fuzz::seeds

int main(int argc, char** argv) {
  CLI::App app{
      "mtkfs_fuzz_make_seeds: writes the seed corpora of the libFuzzer targets, one folder per target "
      "(tests/fuzz/corpus/ in the repository)"};
  std::string corpus_dir;
  app.add_option("corpus_dir", corpus_dir, "the corpus folder (tests/fuzz/corpus)")->required();
  CLI11_PARSE(app, argc, argv);
  using namespace mtkfs::fuzz::seeds;
  spdlog::set_level(spdlog::level::warn);
  const std::filesystem::path corpus = corpus_dir;
  try {
    partition_seeds(corpus);
    da_file_seeds(corpus);
    replies_seeds(corpus);
    sim_seeds(corpus);
    trace_seeds(corpus);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
