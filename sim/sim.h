// In-process API of the simulated Sony NW-A50 (MT8590): Preloader + legacy DA, backed by image files.
// Spec: docs/protocol/preloader.md, docs/protocol/legacy-da.md, docs/protocol/usb.md.
// Spec-silent choices: sim/README.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mtkfs::sim {

class ReplayOutcome;  // sim/replay/replay.h

inline constexpr std::uint64_t kDefaultBoot1Size = 4ull << 20;
inline constexpr std::uint64_t kDefaultBoot2Size = 4ull << 20;
inline constexpr std::uint64_t kDefaultRpmbSize = 16ull << 20;
inline constexpr std::uint64_t kDefaultUserSize = 256ull << 20;
inline constexpr std::uint64_t kNwA50UserSize = 0x3AB400000ull;  // `--profile nw-a50-full`

// Stage-2 report trailer (docs/protocol/legacy-da.md §5.3): plain = 10-byte PassInfo, prefixed =
// 00000000 + PassInfo sent as ONE 14-byte unit.
enum class Trailer { plain, prefixed };
// How device replies are cut into units (bulk transfers): as the spec lists them, one byte per unit, or
// everything queued between two host reads merged into 512-byte packets.
enum class UnitFault { none, split, merge };
enum class LinkModel { none, usb2_hs };

// Fault knobs. Counters run over the whole lifetime of one server/model (all host sessions), and each
// fault fires once (the NACK fault `nack_count` times).
struct Faults {
  std::optional<std::uint64_t> corrupt_chunk;            // D6 chunk index (from 0) whose checksum is wrong
  std::optional<std::uint64_t> corrupt_from_chunk;       // every D6 chunk from this index on: wrong checksum
  std::optional<std::uint64_t> drop_after_bytes;         // drop the link after this many device->host bytes
  // Further drops, at these totals of device->host bytes (ascending, each above the previous drop point).
  std::vector<std::uint64_t> drop_again_after_bytes;
  // Drops at these totals of host->device bytes the device has taken in (ascending): a cut in the middle
  // of what the host sends, such as a 62 write chunk (nothing of a chunk cut short is written).
  std::vector<std::uint64_t> drop_after_received_bytes;
  // Time off the bus after a drop before the device is back as a fresh Preloader (same images).
  // nullopt: as any other disconnect (USB 100 ms; socket: the next connection; pty: a new pty at once).
  std::optional<std::chrono::milliseconds> drop_return_after;
  // After each drop the device reports another CID: the product serial number (CID bytes 10-13) plus
  // the number of drops so far. The images stay the same.
  bool return_as_other_device = false;
  std::optional<std::uint8_t> nack_command;              // NACK the first DA command with this byte
  std::uint32_t nack_count = 1;                          // ... and this many of its successors
  std::uint32_t nack_skip = 0;                           // commands with that byte answered normally first
  std::chrono::milliseconds delay{0};                    // delay before every reply to host input
  UnitFault units = UnitFault::none;
  std::optional<std::uint64_t> reenter_preloader_after;  // after N DA commands: fresh Preloader, no disconnect
  // Every D6 data chunk leaves as transfers of this many bytes (0: random lengths, seeded per chunk);
  // a transfer that ends on a packet boundary is closed by a zero-length packet, and with random
  // lengths some short ones are followed by a ZLP too (docs/protocol/usb.md §5.1 allows both).
  std::optional<std::uint64_t> d6_pieces;
};

struct SimConfig {
  std::filesystem::path dir;  // holds boot1.img boot2.img rpmb.img user.img (created sparse if absent)
  // Sizes used when a file is created; an existing file's size is the region size.
  std::uint64_t boot1_size = kDefaultBoot1Size;
  std::uint64_t boot2_size = kDefaultBoot2Size;
  std::uint64_t rpmb_size = kDefaultRpmbSize;
  // Explicit user-area size (e.g. kNwA50UserSize); an existing user.img of another size is an error.
  // nullopt: size of the existing user.img, else kDefaultUserSize.
  std::optional<std::uint64_t> user_size;

  std::optional<std::filesystem::path> da_file;  // check uploads against this AllInOne DA file (0x8590 entry)
  // eMMC CID the DA reports (DA1 sync and the stage-2 report, docs/protocol/legacy-da.md §2, §5.1, §6.4),
  // in standard byte order; nullopt: the NW-A50 profile's.
  std::optional<std::array<std::uint8_t, 16>> cid;

  std::optional<bool> ready;      // READY strings in LISTEN; nullopt: streams off, USB on (after SET_LINE_CODING)
  bool swallow_first_a0 = true;   // LISTEN consumes the first A0 without a reply
  Trailer trailer = Trailer::plain;
  std::uint16_t nand_id_count = 7;  // DA1 sync nand id count (0 = the reference simulator's behaviour)
  bool allow_rpmb = false;          // 60 03 ACKed, RPMB readable/writable
  bool speed_switch = false;        // 72 answers 5A 00; 70 01 -> 5A, re-enumerate as 0e8d:2001 in DA2
  bool strict_config = false;       // check all 18 stage-2 config bytes, not only force_charge
  bool require_aligned = false;     // D6/62 addresses and lengths must be multiples of 512 (else NACK)
  // The DA (DA1 and DA2) receives each protocol field with one USB transfer and drops whatever else that
  // transfer held: the strictest receive path the unpublished DA could have. Only the USB model has
  // transfer boundaries; on streams it changes nothing.
  bool strict_receiver = false;
  // What a host closing the port does: true = device starts over in a fresh Preloader, false = it keeps
  // running where it was. nullopt: streams true, USB false (docs/protocol/legacy-da.md §13).
  std::optional<bool> reset_on_host_close;

  Faults faults;
  LinkModel link_model = LinkModel::none;
  std::optional<std::filesystem::path> trace_path;  // both directions, timestamped, one line per unit
  bool once = false;  // serve one host session, then stop (finished() becomes true)
  // `--replay FILE`: the device plays the device side of an `mtkfs --trace` file instead of running
  // its firmware, and checks the host's bytes (sim/replay/replay.h; the images are not used). The
  // verdict goes to `replay_outcome` when set; the run finishes once the host leaves after the end.
  std::optional<std::filesystem::path> replay_path;
  std::shared_ptr<ReplayOutcome> replay_outcome;
};

// UNIX stream socket endpoint, one host connection at a time.
class SocketServer {
 public:
  // Throws std::runtime_error (bad config, region files, DA file, socket). Listening when it returns.
  SocketServer(SimConfig config, std::filesystem::path socket_path);
  ~SocketServer();  // stops the device and joins its thread; removes the socket file
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;
  const std::filesystem::path& socket_path() const;
  bool finished() const;  // true after a `once` session ended or on a fatal error
  void wait_finished(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pseudo-terminal endpoint (raw mode). A device-side disconnect (reboot, power off, drop fault, speed
// switch) closes the master and opens a new pty, as a ttyACM node disappears and reappears; the optional
// symlink then points at the new slave.
class PtyServer {
 public:
  explicit PtyServer(SimConfig config, std::optional<std::filesystem::path> link_path = std::nullopt);
  ~PtyServer();
  PtyServer(const PtyServer&) = delete;
  PtyServer& operator=(const PtyServer&) = delete;
  std::string slave_path() const;  // current slave (may change after a device-side disconnect)
  // Counts the ptys so far; a new one (same /dev/pts number or not) is ready to open once it grows.
  std::uint64_t generation() const;
  bool finished() const;
  void wait_finished(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class UsbStatus { ok, timeout, overflow, no_device, stall };

struct UsbTransfer {
  UsbStatus status;
  std::size_t transferred;
};

// The device as libusb would see it (docs/protocol/usb.md §2-§5). The device firmware runs on an
// internal thread; all host-side calls are thread-safe.
class UsbDeviceModel {
 public:
  explicit UsbDeviceModel(SimConfig config);  // throws std::runtime_error like SocketServer
  ~UsbDeviceModel();
  UsbDeviceModel(const UsbDeviceModel&) = delete;
  UsbDeviceModel& operator=(const UsbDeviceModel&) = delete;

  std::uint16_t vendor_id() const;   // 0x0e8d
  std::uint16_t product_id() const;  // 0x2000; 0x2001 after a speed switch
  std::size_t max_packet_size() const;  // 512

  // EP0 requests (docs/protocol/usb.md §4.1): class SET_LINE_CODING (any recipient, with or without data
  // stage) sets "tool present"; SET_CONTROL_LINE_STATE / SEND_BREAK and vendor requests are ACKed; other class
  // requests stall. no_device while off the bus.
  // `enumeration` (here and below): when not 0, the call is for that enumeration only (no_device once the
  // device has re-enumerated), so that a transfer of a host session that ended never takes the next one's bytes.
  UsbStatus control_out(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                        std::uint16_t index, std::span<const std::uint8_t> data, std::uint64_t enumeration = 0);
  // Host -> device (EP 0x01). Packet boundaries and zero-length transfers are invisible to the device.
  UsbTransfer bulk_out(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout,
                       std::uint64_t enumeration = 0);
  // Device -> host (EP 0x81), libusb semantics: completes when `buffer` is full or a short packet
  // arrived; a packet longer than the space left -> overflow (earlier bytes count in transferred, that
  // packet is lost); on timeout returns what arrived so far with status timeout. Units leave as 512-byte
  // packets with a short final packet and never a zero-length packet.
  UsbTransfer bulk_in(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
                      std::uint64_t enumeration = 0);
  // The host releases the interface. By default the device keeps running (DA2 survives); a muted device
  // (after a protocol violation) restarts in a fresh Preloader.
  void host_close();
  bool wait_enumerated(std::chrono::milliseconds timeout);    // true once on the bus (now or later)
  bool wait_disconnected(std::chrono::milliseconds timeout);  // true once off the bus (now or later)
  std::uint64_t enumeration_count() const;  // +1 per (re-)enumeration, starting at 1
  bool enumerated() const;
  // The cable is pulled: the device leaves the bus for good (the firmware keeps running on its battery).
  void unplug();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtkfs::sim
