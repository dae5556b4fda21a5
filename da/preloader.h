// Host side of the Preloader download protocol (docs/protocol/preloader.md): handshake,
// identification, watchdog, and the upload and start of DA stage 1.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "da/channel.h"
#include "da/progress.h"
#include "da/timing.h"

namespace mtkfs::da {

struct PreloaderInfo {
  std::uint16_t hw_code = 0;
  std::uint16_t hw_subcode = 0;
  std::uint16_t hw_ver = 0;
  std::uint16_t sw_ver = 0;
  std::uint32_t target_config = 0;
  std::uint8_t bl_ver = 0;    // FE answer; also sent as blver in the DA stage-2 config
  std::uint8_t brom_ver = 0;  // FF answer (the echo in Preloader mode); sent as bromver
};

class PreloaderClient {
 public:
  PreloaderClient(Channel& channel, const Timing& timing) : ch_(channel), timing_(timing) {}

  // A0 0A 50 05 -> 5F F5 AF FA, tolerant of READY noise, stale replies and of a Preloader that
  // swallows the first A0 (docs/protocol/preloader.md §3.2-3.3). Throws ProtocolError after the
  // deadline.
  void handshake();

  // FD, D4 (watchdog off), D8, FE (rejects BROM mode), FF, FC — mtkclient's order
  // (docs/protocol/preloader.md §6.1).
  PreloaderInfo identify();

  // D7: uploads `image` (its last `signature_length` bytes are the signature) and verifies the
  // device's XOR16 checksum against our own.
  void send_da(std::uint32_t load_address, std::span<const std::uint8_t> image,
               std::uint32_t signature_length, const UploadProgressFn& progress = {});

  // D5: starts the uploaded DA; its first byte (C0) follows.
  void jump_da(std::uint32_t address);

  std::uint16_t get_hw_code();
  void write32(std::uint32_t address, std::uint32_t value);
  std::uint32_t get_target_config();
  std::uint8_t get_bl_ver();
  std::uint8_t get_version();
  void get_hw_sw_ver(PreloaderInfo& info);

 private:
  bool await_handshake_start(std::chrono::steady_clock::time_point deadline);
  bool finish_handshake();
  void note_noise(const std::string& item);
  void command(std::uint8_t cmd, const std::string& name);
  void echoed_u32(std::uint32_t value, const std::string& what);
  void expect_status(const std::string& what);

  Channel& ch_;
  Timing timing_;
  std::string recent_noise_;  // last unexpected handshake bytes, for the error message
};

}  // namespace mtkfs::da
