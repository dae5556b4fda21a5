// Hand-built protocol bytes for the seeds (docs/protocol/legacy-da.md §2, §5, §6-§13;
// docs/protocol/preloader.md §3-§5).
#pragma once

#include <cstdint>
#include <vector>

#include "tests/fuzz/replies_input.h"

namespace mtkfs::fuzz::seeds {

using Bytes = std::vector<std::uint8_t>;

// Device -> host.
Bytes flash_report(bool u32_nand_layout);  // sizes of fuzz_sim's regions
Bytes trailer(bool prefixed);
void da1_sync(replies_input::Encoder& e);   // C0 + stage-1 info (7 NAND ids) + versions
std::vector<replies_input::Encoder> da2_command_seeds();  // mode 3; params[15] numbers them
replies_input::Encoder preloader_seed();                  // mode 4

// Host -> device, one entry per host write (an empty entry is a pause).
std::vector<Bytes> da2_host_commands();       // 62 PMT, A5, 60, D6 boot2/rpmb, 72, 70, unknown, DB
std::vector<Bytes> da2_nack_commands();       // D6 NACK + its error-code exchange, D6, 72, D9
std::vector<Bytes> preloader_host_commands(); // handshake, every Preloader command, DA1, DA2 D9

}  // namespace mtkfs::fuzz::seeds
