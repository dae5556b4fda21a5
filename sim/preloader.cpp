// Preloader download mode (docs/protocol/preloader.md §3-§5): LISTEN with READY, the 300 ms handshake
// window, and the command loop up to JUMP_DA. Every reply field is its own unit, as the tables list them.
#include <spdlog/spdlog.h>

#include <map>
#include <vector>

#include "sim/checksum.h"
#include "sim/device.h"
#include "sim/profile.h"

namespace mtkfs::sim {
namespace {

namespace pl = wire::pl;
constexpr auto kListenPoll = std::chrono::milliseconds(20);
constexpr auto kHandshakeWindow = std::chrono::milliseconds(300);
constexpr std::size_t kListenTake = 8;  // LISTEN looks at up to 8 queued bytes at a time
constexpr std::size_t kUploadPiece = 64 * 1024;

class Preloader {
 public:
  explicit Preloader(DeviceContext& ctx) : ctx_(ctx), io_(ctx.io) {}

  void run() {
    for (;;) {
      std::vector<std::uint8_t> pending = listen();
      if (handshake(pending)) break;
      spdlog::debug("handshake window expired; back to LISTEN");
    }
    io_.note("handshake complete");
    io_.enable_reply_delay();
    command_loop();
  }

 private:
  // Returns the bytes the handshake must still process (none when the first A0 is swallowed).
  std::vector<std::uint8_t> listen() {
    const bool swallow = ctx_.config.swallow_first_a0;
    for (;;) {
      std::uint8_t taken[kListenTake];
      // Without swallowing, only the A0 is taken, so the handshake sees every later byte itself.
      const std::size_t n = io_.take_available(std::span(taken, swallow ? kListenTake : 1),
                                               Clock::now() + kListenPoll, "LISTEN");
      if (n == 0) {
        if (ctx_.ready && io_.link().tool_present()) io_.send(wire::kReadyText, "READY");
        continue;
      }
      if (taken[0] == wire::kHandshake[0]) {
        if (swallow) return {};
        return {taken, taken + n};
      }
      spdlog::debug("LISTEN: ignoring {} byte(s) of garbage", n);
    }
  }

  bool handshake(const std::vector<std::uint8_t>& pending) {
    const auto deadline = Clock::now() + kHandshakeWindow;
    std::size_t matched = 0;
    auto step = [&](std::uint8_t b) {
      if (b == wire::kHandshake[matched]) {
        io_.send_u8(static_cast<std::uint8_t>(~b), "handshake");
        ++matched;
      } else {
        io_.send_u8(static_cast<std::uint8_t>(b + 1), "handshake mismatch");
        matched = 0;
      }
    };
    for (std::uint8_t b : pending) step(b);
    while (matched < 4) {
      const auto b = io_.read_byte_until(deadline, "HANDSHAKE");
      if (!b) return false;
      step(*b);
    }
    return true;
  }

  void command_loop() {
    for (;;) {
      const std::uint8_t cmd = io_.read_byte("PL command");
      if (cmd == pl::kGetBlVer) {
        io_.send_u8(pl::kBlVerPreloader, "FE blver");
        continue;
      }
      io_.send_u8(cmd, "PL echo");
      switch (cmd) {
        case pl::kGetHwCode:
          io_.send_u16(profile::kHwCode, "hw code");
          io_.send_u16(pl::kStatusOk, "status");
          break;
        case pl::kGetHwSwVer:
          io_.send_u16(profile::kHwSubcode, "hw subcode");
          io_.send_u16(profile::kHwVer, "hw ver");
          io_.send_u16(profile::kSwVer, "sw ver");
          io_.send_u16(pl::kStatusOk, "status");
          break;
        case pl::kGetTargetConfig:
          io_.send_u32(profile::kTargetConfig, "target config");
          io_.send_u16(pl::kStatusOk, "status");
          break;
        case pl::kRead32: read32(); break;
        case pl::kWrite32: write32(); break;
        case pl::kUart1LogEn: io_.send_u16(pl::kStatusOk, "status"); break;
        case pl::kSendDa: send_da(); break;
        case pl::kJumpDa:
          if (jump_da()) return;
          break;
        default: break;  // GET_VERSION (FF) and everything unimplemented: the echo is the whole answer
      }
    }
  }

  std::uint32_t echo32(std::string_view what) {
    const std::uint32_t value = io_.read_u32(what);
    io_.send_u32(value, what);
    return value;
  }

  static std::uint16_t range_status(std::uint32_t address, std::uint32_t count) {
    if (address % 4 != 0) return pl::kStatusUnaligned;
    if (count == 0) return pl::kStatusCountZero;
    if (std::uint64_t{address} + std::uint64_t{count} * 4 > 0x100000000ull) return pl::kStatusOverflow;
    return pl::kStatusOk;
  }

  void read32() {
    const std::uint32_t address = echo32("D1 address");
    const std::uint32_t count = echo32("D1 count");
    const std::uint16_t status = range_status(address, count);
    io_.send_u16(status, "D1 status");
    if (status == pl::kStatusOk) {
      for (std::uint32_t i = 0; i < count; ++i) {
        const auto it = memory_.find(address + 4 * i);
        io_.send_u32(it == memory_.end() ? 0 : it->second, "D1 value");
      }
    }
    io_.send_u16(status, "D1 final status");
  }

  void write32() {
    const std::uint32_t address = echo32("D4 address");
    const std::uint32_t count = echo32("D4 count");
    const std::uint16_t status = range_status(address, count);
    io_.send_u16(status, "D4 status");
    if (status != pl::kStatusOk) return;  // the only status; no values follow
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t value = echo32("D4 value");
      memory_[address + 4 * i] = value;
      if (address + 4 * i == pl::kWatchdogAddr) spdlog::debug("watchdog register <- 0x{:08X}", value);
    }
    io_.send_u16(pl::kStatusOk, "D4 status");
  }

  void send_da() {
    da_accepted_ = false;
    echo32("D7 address");  // the Preloader loads to its own DA address whatever the host says
    const std::uint32_t length = echo32("D7 length");
    const std::uint32_t sig_len = echo32("D7 sig length");
    if (length == 0 || length < sig_len) {
      spdlog::warn("SEND_DA: length 0x{:X} with signature length 0x{:X} rejected", length, sig_len);
      io_.send_u16(profile::kStatusDaRejected, "D7 status");
      return;
    }
    io_.send_u16(pl::kStatusOk, "D7 status");

    const ExpectedStage* expected = ctx_.da ? &ctx_.da->stage1 : nullptr;
    bool matches = true;
    if (expected) {
      const std::size_t want = expected->bytes.size();
      // mtkclient pads an odd region with one zero byte (docs/protocol/da-file.md §4).
      const bool length_ok = length == want || (want % 2 == 1 && length == want + 1);
      if (!length_ok || sig_len != expected->sig_len) {
        spdlog::warn("SEND_DA: length 0x{:X}/sig 0x{:X} differ from the DA file's stage 1 (0x{:X}/0x{:X})", length,
                     sig_len, want, expected->sig_len);
        matches = false;
      }
    }
    Xor16 checksum;
    std::vector<std::uint8_t> piece(std::min<std::size_t>(length, kUploadPiece));
    for (std::uint32_t done = 0; done < length;) {
      const std::size_t n = std::min<std::size_t>(length - done, piece.size());
      const std::span<std::uint8_t> data(piece.data(), n);
      io_.read_exact(data, "D7 data");
      checksum.update(data);
      if (expected && matches) {
        for (std::size_t i = 0; i < n && matches; ++i) {
          const std::size_t at = done + i;
          const std::uint8_t want = at < expected->bytes.size() ? expected->bytes[at] : 0;
          matches = data[i] == want;
        }
      }
      done += static_cast<std::uint32_t>(n);
    }
    if (!matches) spdlog::warn("SEND_DA: received stage 1 differs from the DA file");
    io_.send_u16(checksum.value(), "D7 checksum");
    io_.send_u16(matches ? pl::kStatusOk : profile::kStatusDaRejected, "D7 status");
    da_accepted_ = matches;
  }

  bool jump_da() {
    echo32("D5 address");
    if (!da_accepted_) {
      io_.send_u16(profile::kStatusDaRejected, "D5 status");
      throw DeviceHalted("JUMP_DA without an accepted SEND_DA (the Preloader asserts)");
    }
    io_.send_u16(pl::kStatusOk, "D5 status");
    io_.note("jump to DA1");
    return true;
  }

  DeviceContext& ctx_;
  DeviceIo& io_;
  std::map<std::uint32_t, std::uint32_t> memory_;  // dwords written with D4, read back by D1
  bool da_accepted_ = false;
};

}  // namespace

void run_preloader(DeviceContext& ctx) { Preloader(ctx).run(); }

}  // namespace mtkfs::sim
