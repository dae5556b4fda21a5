// Shared pieces of the simulator tests: a DA file (docs/protocol/da-file.md §5, sim/image's builder), region
// files with known content, and the host's side of the standard flow (bytes written out from the spec).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "host_link.h"
#include "sim/image/synthetic_da.h"
#include "sim/sim.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::simtest {

// The synthetic DA file of docs/protocol/da-file.md §5 (0x4400 bytes, one 0x8590 entry, regions 0/1/2),
// from sim/image's builder with a deterministic sweep payload; `flavour` changes the payload bytes only,
// for "wrong DA file" tests.
struct TestDa {
  Bytes file;
  Bytes stage1;  // region 1: 0x1000 body + 0x100 signature
  Bytes stage2;  // region 2: 0x2000 body + 0x100 signature

  // stage1_len < 0x1100 shortens region 1 (e.g. odd, for mtkclient's padding rule).
  explicit TestDa(std::uint8_t flavour = 0, std::uint32_t stage1_len = 0x1100) {
    sim::image::SyntheticDaOptions options;
    options.payload = sim::image::DaPayload::sweep;
    options.sweep_seed = flavour;
    options.entries[0].regions[1].length = stage1_len;
    options.entries[0].regions[1].sig_offset = stage1_len - 0x100;
    file = sim::image::build_synthetic_da(options);
    stage1.assign(file.begin() + 0x1200, file.begin() + 0x1200 + stage1_len);
    stage2.assign(file.begin() + 0x2300, file.begin() + 0x4400);
  }

  std::filesystem::path write(const std::filesystem::path& path) const {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(file.data()),
                                                static_cast<std::streamsize>(file.size()));
    return path;
  }

  // XOR of little-endian 16-bit words (docs/protocol/preloader.md §5.7), computed independently of the
  // simulator.
  static std::uint16_t xor16(const Bytes& data) {
    std::uint16_t x = 0;
    for (std::size_t i = 0; i < data.size(); i += 2) {
      x ^= static_cast<std::uint16_t>(data[i] | (i + 1 < data.size() ? data[i + 1] << 8 : 0));
    }
    return x;
  }
};

// Creates DIR/name with `size` bytes and writes `content` at `offset`.
inline void write_region(const std::filesystem::path& dir, const std::string& name, std::uint64_t size,
                         std::uint64_t offset = 0, const Bytes& content = {}) {
  const int fd = ::open((dir / name).c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  if (!content.empty()) {
    ASSERT_EQ(::pwrite(fd, content.data(), content.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(content.size()));
  }
  ::close(fd);
}

inline Bytes read_file_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t n) {
  Bytes out(n);
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return {};
  const ssize_t r = ::pread(fd, out.data(), n, static_cast<off_t>(offset));
  ::close(fd);
  out.resize(r < 0 ? 0 : static_cast<std::size_t>(r));
  return out;
}

inline Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 31 + seed + (i >> 9));
  return out;
}

// Handshake as docs/protocol/preloader.md §3.3 recommends to hosts: send A0, discard everything that is
// not 5F (READY text, stale replies), resend A0 until 5F, then 0A 50 05 with exact replies; start over on any mismatch.
inline bool try_handshake(HostLink& host) {
  bool synced = false;
  for (int attempt = 0; attempt < 10 && !synced; ++attempt) {
    host.send({0xA0});
    for (;;) {
      const Bytes b = host.receive(1, 150ms);
      if (b.empty()) break;
      if (b[0] == 0x5F) {
        synced = true;
        break;
      }
    }
  }
  if (!synced) return false;
  for (const auto& [send, reply] : {std::pair<std::uint8_t, std::uint8_t>{0x0A, 0xF5}, {0x50, 0xAF}, {0x05, 0xFA}}) {
    host.send({send});
    if (host.receive(1, 1s) != Bytes{reply}) return false;
  }
  return true;
}

inline void handshake(HostLink& host) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (try_handshake(host)) return;
  }
  FAIL() << "handshake failed";
}

// docs/protocol/preloader.md §6.1 after the handshake, up to the DA's first byte.
inline void preloader_to_da(HostLink& host, const TestDa& da) {
  host.send({0xFD});
  host.expect_units({{0xFD}, {0x85, 0x90}, {0x00, 0x00}}, "FD");
  host.send({0xD4});
  host.expect_unit({0xD4}, "D4 echo");
  host.send({0x10, 0x00, 0x70, 0x00});
  host.expect_unit({0x10, 0x00, 0x70, 0x00}, "D4 address");
  host.send({0x00, 0x00, 0x00, 0x01});
  host.expect_units({{0x00, 0x00, 0x00, 0x01}, {0x00, 0x00}}, "D4 count/status");
  host.send({0x22, 0x00, 0x00, 0x64});
  host.expect_units({{0x22, 0x00, 0x00, 0x64}, {0x00, 0x00}}, "D4 value/status");
  host.send({0xD8});
  host.expect_units({{0xD8}, {0x00, 0x00, 0x00, 0x00}, {0x00, 0x00}}, "D8");
  host.send({0xFE});
  host.expect_unit({0x01}, "FE");
  host.send({0xFF});
  host.expect_unit({0xFF}, "FF");
  host.send({0xFC});
  host.expect_units({{0xFC}, {0x8A, 0x00}, {0xCB, 0x01}, {0x01, 0x02}, {0x00, 0x00}}, "FC");
  host.send({0xD7});
  host.expect_unit({0xD7}, "D7");
  host.send({0x00, 0x20, 0x00, 0x00});
  host.expect_unit({0x00, 0x20, 0x00, 0x00}, "D7 address");
  host.send({0x00, 0x00, 0x11, 0x00});
  host.expect_unit({0x00, 0x00, 0x11, 0x00}, "D7 length");
  host.send({0x00, 0x00, 0x01, 0x00});
  host.expect_units({{0x00, 0x00, 0x01, 0x00}, {0x00, 0x00}}, "D7 sig length/status");
  host.send(da.stage1);
  const std::uint16_t x = TestDa::xor16(da.stage1);
  host.expect_units({{static_cast<std::uint8_t>(x >> 8), static_cast<std::uint8_t>(x)}, {0x00, 0x00}}, "D7 checksum/status");
  host.send({0xD5});
  host.expect_unit({0xD5}, "D5");
  host.send({0x00, 0x20, 0x00, 0x00});
  host.expect_units({{0x00, 0x20, 0x00, 0x00}, {0x00, 0x00}}, "D5 address/status");
}

inline Bytes emmc_cid() {
  return {0x15, 0x01, 0x00, 0x41, 0x47, 0x4E, 0x44, 0x33, 0x52, 0x07, 0x12, 0x34, 0x56, 0x78, 0xA1, 0xE3};
}

// docs/protocol/legacy-da.md §2-§4: DA1 sync with `nand_ids` ids, versions, 18-byte config, stage-2
// upload.
inline void da1_to_stage2_ack(HostLink& host, const TestDa& da, std::uint16_t nand_ids = 7,
                              std::uint8_t force_charge = 0x02, const Bytes& cid = emmc_cid()) {
  host.expect_units({{0xC0}, {0x00, 0x00, 0x0B, 0xC4}, {0x00, static_cast<std::uint8_t>(nand_ids)}}, "DA1 sync");
  for (int i = 0; i < nand_ids; ++i) host.expect_unit({0x00, 0x00}, "nand id");
  host.expect_unit({0x00, 0x00, 0x00, 0x00}, "emmc_ret");
  for (int w = 0; w < 4; ++w) host.expect_unit(Bytes(cid.begin() + 4 * w, cid.begin() + 4 * w + 4), "CID word");
  host.send({0x5A});
  host.expect_units({{0x04}, {0x02}, {0x91}}, "versions");
  host.send({0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, force_charge, 0x01,
             0x02, 0x00});
  host.expect_unit({0x00, 0x00, 0x00, 0x00}, "config status");
  host.send({0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00});
  host.expect_unit({0x5A}, "stage-2 header ACK");
  for (std::size_t off = 0; off < da.stage2.size(); off += 0x1000) {
    const std::size_t n = std::min<std::size_t>(0x1000, da.stage2.size() - off);
    host.send(Bytes(da.stage2.begin() + static_cast<std::ptrdiff_t>(off),
                    da.stage2.begin() + static_cast<std::ptrdiff_t>(off + n)));
    host.expect_unit({0x5A}, "stage-2 chunk ACK");
  }
  host.send({0x5A});
  host.expect_unit({0x5A}, "stage-2 final ACK");
}

// The 226-byte report of docs/protocol/legacy-da.md §5.2 for the given sizes, as 7 units.
inline std::vector<Bytes> report_units(std::uint64_t boot1, std::uint64_t boot2, std::uint64_t rpmb,
                                       std::uint64_t user, const Bytes& cid = emmc_cid()) {
  Bytes r(226, 0);
  auto put = [&](std::size_t at, std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) r[at + i] = static_cast<std::uint8_t>(v);
  };
  put(0x00, 0xBC7, 4);
  put(0x1C, 0xBC4, 4);
  put(0x2B, 7, 2);
  put(0x48, boot1, 8);
  put(0x50, boot2, 8);
  put(0x58, rpmb, 8);
  put(0x80, user, 8);
  std::copy(cid.begin(), cid.end(), r.begin() + 0x88);
  r[0x98] = 0x01;
  put(0xA0, 0xBC4, 4);
  put(0xC0, 0x40000, 4);
  r[0xC8] = 0x02;
  put(0xCA, 0x20000000, 8);
  const Bytes id = {0xFA, 0x7B, 0x5F, 0x0A, 0xE9, 0xD5, 0x52, 0x12, 0x0A, 0xBB, 0xAD, 0x92, 0xE4, 0xDF, 0xDA, 0x3B};
  std::copy(id.begin(), id.end(), r.begin() + 0xD2);
  std::vector<Bytes> units;
  std::size_t begin = 0;
  for (std::size_t end : {0x1C, 0x2D, 0x3B, 0x44, 0xA0, 0xBC, 0xE2}) {
    units.emplace_back(r.begin() + static_cast<std::ptrdiff_t>(begin), r.begin() + static_cast<std::ptrdiff_t>(end));
    begin = end;
  }
  return units;
}

inline const Bytes kPlainTrailer = {0x5A, 0, 0, 0, 0, 0, 0, 0, 0, 0xC1};

inline void expect_report(HostLink& host, std::uint64_t user_size, const Bytes& cid = emmc_cid()) {
  for (const Bytes& u : report_units(4 << 20, 4 << 20, 16 << 20, user_size, cid)) host.expect_unit(u, "report unit");
  host.expect_unit(kPlainTrailer, "trailer");
}

inline constexpr std::uint64_t kTestUserSize = 8ull << 20;

// A simulator directory (small user area) and a config pointing at it.
struct SimDir {
  testing::TempDir temp;
  TestDa da;
  sim::SimConfig config;

  SimDir() {
    config.dir = temp.path() / "disk";
    config.user_size = kTestUserSize;
    config.da_file = da.write(temp.path() / "test_da.bin");
  }
  std::filesystem::path socket() const { return temp.path() / "sim.sock"; }
  std::filesystem::path image(const char* name) const { return config.dir / name; }
};

// A SocketServer on a SimDir; start() after adjusting the config.
struct SocketSim {
  SimDir dir;
  std::unique_ptr<sim::SocketServer> server;

  void start() { server = std::make_unique<sim::SocketServer>(dir.config, dir.socket()); }
  std::unique_ptr<StreamHost> connect() const { return StreamHost::connect(dir.socket()); }
};

// Full flow to the DA2 command loop over any host link.
inline void bring_to_da2(HostLink& host, const TestDa& da, std::uint64_t user_size = kTestUserSize) {
  handshake(host);
  preloader_to_da(host, da);
  da1_to_stage2_ack(host, da);
  expect_report(host, user_size);
}

// D6 of `length` bytes at `address` of the selected partition in chunks of `packet`; returns the data and
// checks every chunk's checksum.
inline Bytes read_d6(HostLink& host, std::uint64_t address, std::uint64_t length, std::uint32_t packet = 0x100000) {
  host.send(cat({{0xD6, 0x0C, 0x02}, be64(address), be64(length)}));
  host.expect_unit({0x5A}, "D6 ACK");
  host.send(be32(packet));
  Bytes data;
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(packet, length - done));
    Bytes chunk = host.receive(n);
    const Bytes sum = host.receive(2);
    EXPECT_EQ(chunk.size(), n);
    const std::uint16_t s = sum16(chunk);
    EXPECT_EQ(sum, (Bytes{static_cast<std::uint8_t>(s >> 8), static_cast<std::uint8_t>(s)})) << "chunk checksum";
    data.insert(data.end(), chunk.begin(), chunk.end());
    host.send({0x5A});
    done += n;
  }
  return data;
}

inline void select_partition(HostLink& host, std::uint8_t id) {
  host.send({0x60});
  host.expect_unit({0x5A}, "60 ACK");
  host.send({id});
  host.expect_unit({0x5A}, "60 partition ACK");
}

}  // namespace mtkfs::simtest
