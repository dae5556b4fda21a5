#include "tests/fuzz/seeds_wire.h"

#include <string>

#include "da/checksum.h"
#include "da/wire.h"
#include "tests/fuzz/replies_modes.h"
#include "tests/fuzz/sim_input.h"

namespace mtkfs::fuzz::seeds {
namespace {

namespace w = wire::da;
using replies_input::Encoder;

void be(Bytes& b, std::uint64_t v, int width) {
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes u32(std::uint32_t v) {
  Bytes b;
  be(b, v, 4);
  return b;
}

Bytes u64(std::uint64_t v) {
  Bytes b;
  be(b, v, 8);
  return b;
}

std::uint16_t sum16(const Bytes& b) {
  std::uint32_t s = 0;
  for (const std::uint8_t x : b) s += x;
  return static_cast<std::uint16_t>(s);
}

Bytes d6(std::uint64_t address, std::uint64_t length) {
  return cat({{w::kCmdRead, w::kHostOsLinux, w::kStorageEmmc}, u64(address), u64(length)});
}

}  // namespace

Bytes flash_report(bool u32_nand_layout) {
  Bytes r;
  be(r, w::kStatusNorNotFound, 4);
  r.resize(0x1C, 0);
  be(r, w::kStatusDeviceNotFound, 4);  // nand_ret
  r.insert(r.end(), {0x00, 0x00, 0x00});  // chip select, flash id
  if (u32_nand_layout) {
    be(r, 0, 4);
    be(r, 2, 2);                      // count at 0x27; the second id is 0, so 0x2B reads as 0
    r.insert(r.end(), {0x12, 0x34, 0x00, 0x00});
  } else {
    be(r, 0, 8);
    be(r, 7, 2);                      // count at 0x2B
    r.resize(r.size() + 14, 0);
  }
  r.resize(r.size() + w::kReportNandGeometrySize, 0);
  be(r, 0, 4);  // emmc_ret
  for (const std::uint64_t size : {sim_input::kBootSize, sim_input::kBootSize, sim_input::kBootSize, std::uint64_t{0},
                                   std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{0}, sim_input::kUserSize})
    be(r, size, 8);
  for (int i = 0; i < 16; ++i) r.push_back(static_cast<std::uint8_t>(0x15 + i));  // CID
  r.insert(r.end(), {0x01, 0, 0, 0, 0, 0, 0, 0});                                  // FW version
  be(r, w::kStatusDeviceNotFound, 4);                                                // sdmmc_ret
  r.resize(r.size() + 8 + 16, 0);
  be(r, 0, 4);
  be(r, 0x40000, 4);  // internal SRAM
  be(r, 0, 4);
  r.insert(r.end(), {0x02, 0x00});
  be(r, 0x20000000, 8);  // external RAM
  for (int i = 0; i < 16; ++i) r.push_back(static_cast<std::uint8_t>(0xA0 ^ i));  // random id
  return r;
}

Bytes trailer(bool prefixed) {
  Bytes t = prefixed ? Bytes{0, 0, 0, 0} : Bytes{};
  t.push_back(w::kAck);
  t.resize(t.size() + 8, 0);
  t.push_back(w::kSocOk);
  return t;
}

void da1_sync(Encoder& e) {
  e.u8(w::kSync);
  e.be(w::kStatusDeviceNotFound, 4);
  e.be(7, 2);
  for (int i = 0; i < 7; ++i) e.be(0, 2);
  e.be(0, 4);
  for (int i = 0; i < 16; ++i) e.u8(static_cast<std::uint8_t>(0x15 + i));
  for (const std::uint8_t v : {0x04, 0x02, 0x91}) e.u8(v);
}

std::vector<Encoder> da2_command_seeds() {
  std::vector<Encoder> seeds;
  {  // READ 505 bytes of user, WRITE 13 bytes, USB status
    Encoder e;
    e.mode = 3;
    e.params = {2, 8, 0, 63, 4, 8, 1, 3, 0, 0, 0, 0, 3, 0, 0, 1};
    const Bytes data = replies_pattern(505, 0x11);
    e.bytes(Bytes{w::kAck, w::kAck, w::kAck});
    e.bytes(data);
    e.be(sum16(data), 2);
    e.bytes(Bytes{w::kAck, w::kCont, w::kAck, w::kSpeedHigh});
    seeds.push_back(e);
  }
  {  // a chunk with a bad checksum is re-read; then reboot and power off
    Encoder e;
    e.mode = 3;
    e.params = {2, 1, 2, 10, 5, 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 2};
    const Bytes data = replies_pattern(81, 0x22);
    for (const std::uint16_t sum : {static_cast<std::uint16_t>(~sum16(data)), sum16(data)}) {
      e.bytes(Bytes{w::kAck, w::kAck, w::kAck});
      e.bytes(data);
      e.be(sum, 2);
    }
    e.bytes(Bytes{w::kAck, w::kAck, w::kAck});
    seeds.push_back(e);
  }
  {  // NACKed READ -> drain (silence) -> probe 72 answered cleanly; speed switch; 60 boot2
    Encoder e;
    e.mode = 3;
    e.params = {3, 8, 0, 1, 7, 0, 0, 0, 1, 2, 0, 0, 3, 0, 0, 3};
    e.bytes(Bytes{w::kAck, w::kAck, w::kNack});
    e.discard_mark();
    e.gap();
    e.bytes(Bytes{w::kAck, w::kSpeedHigh});
    e.gap();
    e.bytes(Bytes{w::kAck, w::kSpeedFull, w::kAck, w::kAck, w::kSpeedHigh, w::kAck, w::kAck});
    seeds.push_back(e);
  }
  return seeds;
}

Encoder preloader_seed() {
  Encoder e;
  e.mode = 4;
  e.params = {0x00, 0x20, 0x00, 0x00, 0x10, 0x10};
  e.gap();  // the real Preloader swallows the first A0
  e.bytes(Bytes{0x5F, 0xF5, 0xAF, 0xFA});
  e.bytes(cat({{0xFD, 0x85, 0x90, 0x00, 0x00}}));
  e.bytes(cat({{0xD4}, u32(0x10007000), u32(1), {0x00, 0x00}, u32(0x22000064), {0x00, 0x00}}));
  e.bytes(cat({{0xD8}, u32(0), {0x00, 0x00}}));
  e.bytes(Bytes{0x01, 0xFF});                                             // FE -> 01, FF echo
  e.bytes(Bytes{0xFC, 0x8A, 0x00, 0xCB, 0x01, 0x01, 0x02, 0x00, 0x00});  // FC
  const Bytes image = replies_pattern(std::size_t{0x10} * 16 + 1, 0x10);
  e.bytes(cat({{0xD7}, u32(0x00200000), u32(static_cast<std::uint32_t>(image.size())), u32(0x10), {0x00, 0x00}}));
  e.be(da::send_da_checksum(image), 2);
  e.be(0, 2);
  e.bytes(cat({{0xD5}, u32(0x00200000), {0x00, 0x00}}));
  return e;
}

std::vector<Bytes> da2_host_commands() {
  Bytes pmt = {0x31, 0x76, 0x54, 0x50, '1', '.', '1', 0};
  const char* names[] = {"preloader", "mbr", "android"};
  for (int i = 0; i < 3; ++i) {
    Bytes record(0x58, 0);
    std::copy(names[i], names[i] + std::char_traits<char>::length(names[i]), record.begin());
    for (int k = 0; k < 8; ++k) {
      record[64 + k] = static_cast<std::uint8_t>((std::uint64_t{0x10000} << i) >> (8 * k));
      record[72 + k] = static_cast<std::uint8_t>((std::uint64_t{0x20000} * i) >> (8 * k));
    }
    pmt.insert(pmt.end(), record.begin(), record.end());
  }
  pmt.resize(0x1000, 0);
  Bytes sum;
  be(sum, sum16(pmt), 2);
  return {
      cat({{w::kCmdWrite, w::kStorageEmmc, 8}, u64(0), u64(pmt.size()), u32(0x1000)}), {w::kAck}, pmt, sum,
      {w::kCmdReadPmt}, {w::kAck}, {w::kAck},
      {w::kCmdSwitchPart}, {2}, d6(0, 0x200), u32(0x200), {w::kAck},
      {w::kCmdSwitchPart}, {3}, d6(0x200, 0x400), u32(0x200), {w::kAck}, {w::kAck},
      {w::kCmdUsbCheckStatus}, {w::kCmdUsbSetupPort, w::kSpeedHigh}, {0x42},
      {w::kCmdEnableWatchdog, 0, 0, 0, 0, 0, 0, 0, 1},
  };
}

std::vector<Bytes> da2_nack_commands() {
  return {
      d6(1, 0x200), u32(0x100000), {w::kNack}, {},  // NACKed: packet size, A5, silence -> error code
      d6(0, 0x200), u32(0x200), {w::kAck},
      {w::kCmdUsbCheckStatus},
      {w::kCmdFinish}, u32(0),
  };
}

std::vector<Bytes> preloader_host_commands() {
  Bytes config = {0xFF, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00};
  return {
      {0xA0}, {0x0A}, {0x50}, {0x05},
      {0xFE}, {0xFF}, {0xFD}, {0xFC}, {0xD8},
      {0xD1}, u32(0x10007000), u32(2),
      {0xD4}, u32(0x10007000), u32(1), u32(0x22000064),
      {0xD1}, u32(0x10007000), u32(2),
      {0xD1}, u32(0x10007001), u32(1),
      {0xD4}, u32(0x10007000), u32(0),
      {0xDB}, {0x77},
      {0xD7}, u32(0x00200000), u32(0x10), u32(0x20),
      {0xD7}, u32(0x00200000), u32(0x20), u32(0x10), replies_pattern(0x20, 1),
      {0xD5}, u32(0x00200000),
      {w::kAck}, config,
      cat({u32(0x80000000), u32(0x100), u32(0x80)}), replies_pattern(0x80, 2), replies_pattern(0x80, 3), {w::kAck},
      {w::kCmdFinish}, u32(0),
  };
}

}  // namespace mtkfs::fuzz::seeds
