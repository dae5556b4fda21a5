#include "tests/da/device_script.h"

#include <algorithm>

namespace mtkfs::testing {

Bytes nw_a50_report() {
  // One row per 16 bytes, as the spec prints it.
  // clang-format off
  const Bytes rows[] = {
      {0x00, 0x00, 0x0B, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0B, 0xC4},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x03, 0xAB, 0x40, 0x00, 0x00, 0x15, 0x01, 0x00, 0x41, 0x47, 0x4E, 0x44, 0x33},
      {0x52, 0x07, 0x12, 0x34, 0x56, 0x78, 0xA1, 0xE3, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x0B, 0xC4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00},
      {0x00, 0x00, 0xFA, 0x7B, 0x5F, 0x0A, 0xE9, 0xD5, 0x52, 0x12, 0x0A, 0xBB, 0xAD, 0x92, 0xE4, 0xDF},
      {0xDA, 0x3B},
  };
  // clang-format on
  Bytes out;
  for (const Bytes& row : rows) out = out + row;
  return out;
}

Bytes plain_trailer() { return Bytes{0x5A} + be32(0) + be32(0) + Bytes{0xC1}; }
Bytes prefixed_trailer() { return be32(0) + plain_trailer(); }

std::uint16_t xor16(const Bytes& data) {
  std::uint16_t x = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint16_t word = data[i];
    if (i + 1 < data.size()) word = static_cast<std::uint16_t>(word | (data[i + 1] << 8));
    x ^= word;
  }
  return x;
}

std::uint16_t sum16(const Bytes& data) {
  std::uint64_t s = 0;
  for (std::uint8_t b : data) s += b;
  return static_cast<std::uint16_t>(s & 0xFFFF);
}

void add_handshake(ScriptedTransport& t, bool swallow, bool ready_noise) {
  if (ready_noise) t.reply(text("READY"));  // before the host starts: dropped by discard_input
  if (swallow) {
    t.expect({0xA0}, "A0 swallowed");
    if (ready_noise) t.reply(text("READYREA"));  // in flight when the Preloader took the A0
  }
  t.expect({0xA0}, "A0").reply({0x5F});
  t.expect({0x0A}, "0A").reply({0xF5});
  t.expect({0x50}, "50").reply({0xAF});
  t.expect({0x05}, "05").reply({0xFA});
}

void add_identify(ScriptedTransport& t, std::uint8_t brom_ver) {
  t.expect({0xFD}, "FD").reply(Bytes{0xFD, 0x85, 0x90, 0x00, 0x00});
  t.expect({0xD4}, "D4").reply({0xD4});
  t.expect(be32(0x10007000), "D4 addr").reply(be32(0x10007000));
  t.expect(be32(1), "D4 count").reply(be32(1) + be16(0));
  t.expect(be32(0x22000064), "D4 value").reply(be32(0x22000064) + be16(0));
  t.expect({0xD8}, "D8").reply(Bytes{0xD8} + be32(0) + be16(0));
  t.expect({0xFE}, "FE").reply({0x01});
  t.expect({0xFF}, "FF").reply({brom_ver});
  t.expect({0xFC}, "FC").reply(Bytes{0xFC, 0x8A, 0x00, 0xCB, 0x01, 0x01, 0x02, 0x00, 0x00});
}

void add_send_da(ScriptedTransport& t, std::uint32_t address, const Bytes& image,
                 std::uint32_t sig_len) {
  t.expect({0xD7}, "D7").reply({0xD7});
  t.expect(be32(address), "D7 addr").reply(be32(address));
  t.expect(be32(static_cast<std::uint32_t>(image.size())), "D7 len")
      .reply(be32(static_cast<std::uint32_t>(image.size())));
  t.expect(be32(sig_len), "D7 sig len").reply(be32(sig_len) + be16(0));
  t.expect(image, "D7 data").reply(be16(xor16(image)) + be16(0));
}

void add_jump_da(ScriptedTransport& t, std::uint32_t address) {
  t.expect({0xD5}, "D5").reply({0xD5});
  t.expect(be32(address), "D5 addr").reply(be32(address) + be16(0));
}

void add_da1_sync(ScriptedTransport& t, std::uint16_t nand_id_count) {
  const Bytes cid = {0x15, 0x01, 0x00, 0x41, 0x47, 0x4E, 0x44, 0x33,
                     0x52, 0x07, 0x12, 0x34, 0x56, 0x78, 0xA1, 0xE3};
  t.reply(Bytes{0xC0} + be32(0xBC4) + be16(nand_id_count) + repeat(0, 2u * nand_id_count) +
          be32(0) + cid);
  t.expect({0x5A}, "version request").reply({0x04, 0x02, 0x91});
}

void add_stage2_config(ScriptedTransport& t, std::uint8_t brom_ver) {
  t.expect({brom_ver, 0x01, 0x00, 0x08, 0x00, 0x70, 0x07, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x02, 0x01, 0x02, 0x00},
           "stage-2 config")
      .reply(be32(0));
}

void add_stage2_upload(ScriptedTransport& t, std::uint32_t address, const Bytes& image) {
  t.expect(be32(address) + be32(static_cast<std::uint32_t>(image.size())) + be32(0x1000),
           "stage-2 header")
      .reply({0x5A});
  for (std::size_t at = 0; at < image.size(); at += 0x1000) {
    const std::size_t n = std::min<std::size_t>(0x1000, image.size() - at);
    t.expect(Bytes(image.begin() + static_cast<std::ptrdiff_t>(at),
                   image.begin() + static_cast<std::ptrdiff_t>(at + n)),
             "stage-2 chunk")
        .reply({0x5A});
  }
  t.expect({0x5A}, "stage-2 final ACK").reply({0x5A});
}

void add_report(ScriptedTransport& t, const ConnectScript& o) {
  const Bytes trailer = !o.trailer.empty()   ? o.trailer
                        : o.prefixed_trailer ? prefixed_trailer()
                                             : plain_trailer();
  Bytes all = nw_a50_report() + trailer;
  std::size_t at = 0;
  for (std::size_t piece : o.report_pieces) {
    if (at >= all.size()) break;
    const std::size_t n = std::min(piece, all.size() - at);
    t.reply(Bytes(all.begin() + static_cast<std::ptrdiff_t>(at),
                  all.begin() + static_cast<std::ptrdiff_t>(at + n)));
    at += n;
  }
  if (at < all.size()) t.reply(Bytes(all.begin() + static_cast<std::ptrdiff_t>(at), all.end()));
}

void add_connect(ScriptedTransport& t, const Bytes& f, const ConnectScript& o) {
  add_connect_to_report(t, f, o);
  t.expect({0x72}, "USB_CHECK_STATUS").reply(Bytes{0x5A, o.usb_speed});
}

void add_connect_to_report(ScriptedTransport& t, const Bytes& f, const ConnectScript& o) {
  auto region = [&](std::size_t off, std::size_t len) {
    return Bytes(f.begin() + static_cast<std::ptrdiff_t>(off),
                 f.begin() + static_cast<std::ptrdiff_t>(off + len));
  };
  add_handshake(t, o.swallow_first_a0, o.ready_noise);
  add_identify(t, o.brom_ver);
  add_send_da(t, 0x00200000, region(0x1200, 0x1100), 0x100);
  add_jump_da(t, 0x00200000);
  add_da1_sync(t, o.nand_id_count);
  add_stage2_config(t, o.brom_ver);
  add_stage2_upload(t, 0x80000000, region(0x2300, 0x2100));
  add_report(t, o);
}

void add_read(ScriptedTransport& t, std::uint8_t part, std::uint64_t offset, const Bytes& data,
              int corrupt_chunk) {
  t.expect({0x60}, "60").reply({0x5A});
  t.expect({part}, "partition id").reply({0x5A});
  t.expect(Bytes{0xD6, 0x0C, 0x02} + be64(offset) + be64(data.size()), "D6 header").reply({0x5A});
  t.expect(be32(0x100000), "D6 packet size");
  int index = 0;
  for (std::size_t at = 0; at < data.size(); at += 0x100000, ++index) {
    const std::size_t n = std::min<std::size_t>(0x100000, data.size() - at);
    Bytes chunk(data.begin() + static_cast<std::ptrdiff_t>(at),
                data.begin() + static_cast<std::ptrdiff_t>(at + n));
    std::uint16_t sum = sum16(chunk);
    if (index == corrupt_chunk) sum = static_cast<std::uint16_t>(sum + 1);
    t.reply(chunk + be16(sum));
    t.expect({0x5A}, "chunk ACK");
  }
}

}  // namespace mtkfs::testing
