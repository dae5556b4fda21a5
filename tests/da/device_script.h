// The NW-A50 conversation of docs/protocol/README.md ("Session at a glance",
// docs/protocol/preloader.md §6.1, docs/protocol/legacy-da.md §2-§7), written out as expected host
// bytes and canned device replies.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/da/scripted_transport.h"

namespace mtkfs::testing {

// docs/protocol/legacy-da.md §5.2: the 226-byte report of the simulator profile, CID 15 01 00 41 ….
Bytes nw_a50_report();
Bytes plain_trailer();     // 5A 00000000 00000000 C1
Bytes prefixed_trailer();  // 00000000 + plain

// XOR of little-endian 16-bit words (docs/protocol/preloader.md §5.7), written independently of
// da/.
std::uint16_t xor16(const Bytes& data);
// Byte sum mod 0x10000 (docs/protocol/legacy-da.md §9).
std::uint16_t sum16(const Bytes& data);

struct ConnectScript {
  bool swallow_first_a0 = true;
  bool ready_noise = false;
  std::uint16_t nand_id_count = 7;
  bool prefixed_trailer = false;
  Bytes trailer;  // when not empty: sent instead of the plain or prefixed trailer
  std::vector<std::size_t> report_pieces;  // split the report+trailer into replies of these sizes
  std::uint8_t usb_speed = 1;
  std::uint8_t brom_ver = 0xFF;  // the GET_VERSION (FF) answer, sent back in the stage-2 config
};

void add_handshake(ScriptedTransport& t, bool swallow, bool ready_noise);
void add_identify(ScriptedTransport& t, std::uint8_t brom_ver = 0xFF);
void add_send_da(ScriptedTransport& t, std::uint32_t address, const Bytes& image,
                 std::uint32_t sig_len);
void add_jump_da(ScriptedTransport& t, std::uint32_t address);
void add_da1_sync(ScriptedTransport& t, std::uint16_t nand_id_count);
void add_stage2_config(ScriptedTransport& t, std::uint8_t brom_ver = 0xFF);
void add_stage2_upload(ScriptedTransport& t, std::uint32_t address, const Bytes& image);
void add_report(ScriptedTransport& t, const ConnectScript& options);

// Everything from the first A0 to the first 72, for the protocol tests' DA file
// (sim::image::protocol_test_da_options()).
void add_connect(ScriptedTransport& t, const Bytes& da_file, const ConnectScript& options = {});
// The same up to the end of the report's trailer, for scripts that go on differently.
void add_connect_to_report(ScriptedTransport& t, const Bytes& da_file,
                           const ConnectScript& options = {});

// 60 <part> -> 5A 5A, D6 …, ACK, packet size, then the chunks of `data` (with checksums) each
// followed by the host ACK. `corrupt_chunk` gets a wrong checksum.
void add_read(ScriptedTransport& t, std::uint8_t part, std::uint64_t offset, const Bytes& data,
              int corrupt_chunk = -1);

}  // namespace mtkfs::testing
