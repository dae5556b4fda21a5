// fuzz_da_replies modes 3-4: DA2 commands (READ chunk checksums, resynchronisation, WRITE
// confirmations, USB speed) and the Preloader client (handshake noise, echoes, statuses).
#include <cstdint>
#include <span>
#include <vector>

#include "da/channel.h"
#include "da/checksum.h"
#include "da/da_commands.h"
#include "da/errors.h"
#include "da/preloader.h"
#include "da/wire.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/replies_modes.h"

namespace mtkfs::fuzz {
namespace {

using Bytes = std::span<const std::uint8_t>;

// Any id the wire can carry, including ones that name no partition.
wire::HwPartition partition(std::uint8_t selector) { return static_cast<wire::HwPartition>(selector % 10); }

}  // namespace

// params: [0..11] three operations [op][partition][offset in sectors][size], [12] read retries.
void replies_da2_commands(const replies_input::Input& in) {
  auto link = std::make_unique<FuzzTransport>(in.stream);
  da::Channel channel(*link);
  da::DaCommands commands(channel, replies_timing(), in.params[12] % 5);
  int reconnects = 0;
  for (std::size_t op = 0; op < 3; ++op) {
    const std::uint8_t* p = &in.params[op * 4];
    const wire::HwPartition part = partition(p[1]);
    const std::uint64_t offset = std::uint64_t{p[2]} * wire::kSectorSize;
    try {
      switch (p[0] % 8) {
        case 0: {
          const std::uint8_t speed = commands.usb_check_status();
          (void)speed;
          break;
        }
        case 1: commands.switch_partition(part); break;
        case 2:
        case 3: {
          std::vector<std::uint8_t> out(1 + std::size_t{p[3]} * (p[0] % 8 == 2 ? 8 : 32), 0xCC);
          commands.read(part, offset, out);
          FUZZ_CHECK(served_as_checked_chunk(*in.stream, out),
                     "READ returned " + std::to_string(out.size()) + " bytes that no chunk with a good checksum carried");
          break;
        }
        case 4: {
          const auto data = replies_pattern(1 + std::size_t{p[3]} * 4, p[2]);
          commands.write(part, offset, data);
          break;
        }
        case 5: commands.reboot(); break;
        case 6: commands.power_off(); break;
        default: {
          reconnects = 0;
          const std::uint8_t speed = commands.ensure_high_speed([&] {
            ++reconnects;
            link = std::make_unique<FuzzTransport>(in.stream);
            channel.rebind(*link);
          });
          FUZZ_CHECK(speed != wire::da::kSpeedFull || reconnects == 1,
                     "ensure_high_speed returned full speed without trying the speed switch");
          FUZZ_CHECK(reconnects <= 1, "one speed switch, several reconnects");
          break;
        }
      }
      note("operation " + std::to_string(op) + " done");
    } catch (const da::DeviceError& e) {
      // Includes LinkLostError; later operations then see the same dead stream and fail too.
      note("operation " + std::to_string(op) + ": " + e.what());
    }
  }
}

// params: [0..3] DA load address, [4] image length / 16, [5] signature length.
void replies_preloader(const replies_input::Input& in) {
  FuzzTransport link(in.stream);
  da::Channel channel(link);
  da::PreloaderClient client(channel, replies_timing());
  try {
    client.handshake();
  } catch (const da::DeviceError& e) {
    note(e.what());
    return;
  }
  const auto& s = *in.stream;
  static constexpr std::uint8_t kReplies[4] = {0x5F, 0xF5, 0xAF, 0xFA};
  FUZZ_CHECK(s.position >= 4 && std::equal(kReplies, kReplies + 4, s.bytes.begin() + static_cast<std::ptrdiff_t>(s.position - 4)),
             "handshake succeeded without 5F F5 AF FA as the last four bytes");
  try {
    const da::PreloaderInfo info = client.identify();
    FUZZ_CHECK(info.bl_ver != wire::pl::kGetBlVer, "BROM's FE echo taken for a Preloader");
    const std::uint32_t address = std::uint32_t{in.params[0]} << 24 | std::uint32_t{in.params[1]} << 16 |
                                  std::uint32_t{in.params[2]} << 8 | in.params[3];
    const auto image = replies_pattern(std::size_t{in.params[4]} * 16 + 1, in.params[5]);
    const std::size_t before = s.position;
    client.send_da(address, image, in.params[5]);
    // The device's checksum and status words were the last four bytes read.
    FUZZ_CHECK(s.position >= before + 4, "send_da read no checksum");
    const std::uint16_t theirs = static_cast<std::uint16_t>(s.bytes[s.position - 4] << 8 | s.bytes[s.position - 3]);
    FUZZ_CHECK(theirs == da::send_da_checksum(image), "send_da accepted a wrong checksum");
    client.jump_da(address);
    note("jumped");
  } catch (const da::DeviceError& e) {
    note(e.what());
  }
}

}  // namespace mtkfs::fuzz
