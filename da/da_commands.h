// Commands of a running legacy DA2 (docs/protocol/legacy-da.md §7-§14). One command at a time,
// strictly in sequence, as the DA requires. Data commands recover from protocol errors where they can.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "da/channel.h"
#include "da/timing.h"
#include "da/wire.h"

namespace mtkfs::da {

class DaCommands {
 public:
  DaCommands(Channel& channel, const Timing& timing, int read_retries = 3)
      : ch_(channel), timing_(timing), read_retries_(read_retries) {}

  // 72 -> 5A + speed byte (0 full, 1 high, 2 ultra).
  std::uint8_t usb_check_status();

  // 72, and if the DA runs at full speed: 70 01, reconnect() (which must rebind the channel
  // to the re-enumerated device), 72 again. Returns the final speed, which is still full speed
  // (with a warning) when the switch did not take.
  std::uint8_t ensure_high_speed(const std::function<void()>& reconnect);

  // 60 <id> -> 5A 5A.
  void switch_partition(wire::HwPartition part);

  // 60 + D6 for [offset, offset + out.size()). Every chunk's sum16 is verified; a bad chunk is
  // re-read with a new D6 from its offset, up to read_retries times without progress.
  // Throws DeviceError (session still usable) or LinkLostError.
  void read(wire::HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out);

  // 62 with storage byte 02; each chunk must be answered 69.
  void write(wire::HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data);

  // DB 00000000 00 00 00 01 -> 5A: immediate watchdog reset into a normal boot (C tool's -R).
  void reboot();

  // D9 -> 5A, mode 0 -> 5A.
  void power_off();

  // docs/protocol/legacy-da.md §14: drain until silent, then probe with 72. Returns normally when
  // the DA answers cleanly; throws LinkLostError (mentioning `failure`) when it does not.
  void resynchronise(const std::string& failure);

  // Is a DA running on the other end, maybe stuck in a command an earlier host left (a read waiting
  // for its chunk ACK)? Drains, sends a NACK (ends such a command; a DA in its loop answers BB, a
  // Preloader ignores it) and 72. True only for a clean 5A + speed answer followed by silence.
  bool find_running_da();

 private:
  // One D6. Returns how many leading bytes of `out` arrived with good checksums; the command is
  // always run to its end so the stream stays in step.
  std::size_t read_command(wire::HwPartition part, std::uint64_t offset,
                           std::span<std::uint8_t> out, std::string& bad_chunk);
  void write_command(wire::HwPartition part, std::uint64_t offset,
                     std::span<const std::uint8_t> data);
  bool drain();
  bool probe(Millis answer_wait);

  Channel& ch_;
  Timing timing_;
  int read_retries_;
};

}  // namespace mtkfs::da
