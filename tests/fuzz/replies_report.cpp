// fuzz_da_replies modes 0-2: the DA2 flash report and its trailer (pure and over a transport),
// and DA1's sync/info block.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "da/bytes.h"
#include "da/channel.h"
#include "da/da_boot.h"
#include "da/errors.h"
#include "da/flash_report.h"
#include "da/wire.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/replies_modes.h"

namespace mtkfs::fuzz {
namespace {

using Bytes = std::span<const std::uint8_t>;
namespace w = wire::da;

constexpr std::size_t kTail = w::kReportNandGeometrySize + w::kReportEmmcSize + w::kReportSdmmcSize + w::kReportConfigSize;

// The report length from the NAND id counts, read independently (docs/protocol/legacy-da.md §5.1).
std::size_t expected_length(Bytes head) {
  const std::size_t count64 = da::bytes::be16(head, 0x2B);
  if (count64 != 0) return 0x2D + 2 * count64 + kTail;
  const std::size_t count32 = da::bytes::be16(head, 0x27);
  if (count32 != 0) return 0x29 + 2 * count32 + kTail;
  return 0x2D + kTail;
}

void same_report(const da::FlashReport& a, const da::FlashReport& b) {
  FUZZ_CHECK(a.nand_ids == b.nand_ids && a.nand_size_is_u32 == b.nand_size_is_u32 &&
                 a.nand_flash_size == b.nand_flash_size && a.emmc_ret == b.emmc_ret &&
                 a.emmc_boot1_size == b.emmc_boot1_size && a.emmc_user_size == b.emmc_user_size &&
                 a.emmc_gp_size == b.emmc_gp_size && a.emmc_cid == b.emmc_cid && a.random_id == b.random_id &&
                 a.ext_ram_size == b.ext_ram_size,
             "the report read over the transport differs from the same bytes parsed at once");
}

void check_trailer(const da::ReportTrailer& t, Bytes raw) {
  FUZZ_CHECK(std::equal(t.raw.begin(), t.raw.end(), raw.begin(), raw.end()), "trailer bytes not kept");
  // docs/protocol/legacy-da.md §5.3 host rule, widened: byte 0 == 5A is variant A; otherwise any 4
  // bytes followed by 5A … C1 are variant B; anything else is unknown (the caller resynchronises).
  const bool plain = raw.size() == w::kTrailerSize && raw[0] == w::kAck;
  const bool prefixed = raw.size() == w::kTrailerSize + w::kTrailerPrefixSize && raw[0] != w::kAck &&
                        raw[w::kTrailerPrefixSize] == w::kAck && raw.back() == w::kSocOk;
  if (t.variant == da::TrailerVariant::unknown) {
    FUZZ_CHECK(!plain && !prefixed, "a known trailer layout reported as unknown");
    FUZZ_CHECK(t.download_status == 0 && t.boot_style == 0 && t.soc_ok == 0, "fields of an unknown trailer");
    return;
  }
  const std::size_t extra = raw.size() - w::kTrailerSize;
  FUZZ_CHECK(extra == 0 || extra == w::kTrailerPrefixSize, "trailer length");
  FUZZ_CHECK((t.variant == da::TrailerVariant::prefixed) == (extra != 0), "trailer variant");
  FUZZ_CHECK(raw[extra] == w::kAck, "trailer accepted without 5A");
  FUZZ_CHECK(extra == 0 ? plain : prefixed, "trailer variant against the host rule");
  FUZZ_CHECK(t.download_status == da::bytes::be32(raw, extra + 1) && t.boot_style == da::bytes::be32(raw, extra + 5) &&
                 t.soc_ok == raw[extra + 9],
             "trailer fields");
}

}  // namespace

void replies_pure_report(const replies_input::Input& in) {
  const Bytes s(in.stream->bytes);
  if (s.size() < da::kReportHeadSize) {
    bool threw = false;
    try {
      da::flash_report_length(s);
    } catch (const da::ProtocolError&) {
      threw = true;
    }
    FUZZ_CHECK(threw, "a short report head was accepted");
    return;
  }
  const std::size_t length = da::flash_report_length(s.first(da::kReportHeadSize));
  FUZZ_CHECK(length == expected_length(s), "report length " + std::to_string(length));
  if (s.size() < length) {
    bool threw = false;
    try {
      da::parse_flash_report(s);
    } catch (const da::ProtocolError&) {
      threw = true;
    }
    FUZZ_CHECK(threw, "a truncated report was accepted");
    return;
  }
  const da::FlashReport report = da::parse_flash_report(s.first(length));
  FUZZ_CHECK(report.emmc_user_size == da::bytes::be64(s, length - kTail + w::kReportNandGeometrySize + 0x3C),
             "eMMC user size not at its place");
  const Bytes rest = s.subspan(length);
  try {
    const std::size_t extra = da::trailer_extra_length(rest.first(std::min(rest.size(), w::kTrailerSize)));
    if (rest.size() < w::kTrailerSize + extra) return;
    const Bytes raw = rest.first(w::kTrailerSize + extra);
    check_trailer(da::parse_report_trailer(raw), raw);
    note("report and trailer parsed");
  } catch (const da::ProtocolError& e) {
    note(e.what());
  }
  try {
    da::parse_report_trailer(rest.first(std::min<std::size_t>(rest.size(), 20)));
  } catch (const da::ProtocolError&) {
  }
}

void replies_read_report(const replies_input::Input& in) {
  FuzzTransport link(in.stream);
  da::Channel channel(link);
  da::DaBoot boot(channel, replies_timing());
  da::ReportTrailer trailer;
  da::FlashReport report;
  try {
    report = boot.read_report(trailer);
  } catch (const da::DeviceError& e) {
    note(e.what());
    return;
  }
  // Nothing discards during the report, so it consumed one contiguous run: report + trailer.
  const Bytes used = Bytes(in.stream->bytes).first(in.stream->position);
  FUZZ_CHECK(used.size() >= da::kReportHeadSize, "report shorter than its head");
  const std::size_t length = da::flash_report_length(used.first(da::kReportHeadSize));
  // 10 trailer bytes, up to 4 more when 5A at byte 4 suggests a prefix (fewer if the stream ended).
  FUZZ_CHECK(used.size() >= length + w::kTrailerSize && used.size() <= length + w::kTrailerSize + w::kTrailerPrefixSize,
             "read_report consumed " + std::to_string(used.size()) + " bytes for a report of " + std::to_string(length));
  same_report(report, da::parse_flash_report(used.first(length)));
  check_trailer(trailer, used.subspan(length));
  note("report read");
}

void replies_da1_sync(const replies_input::Input& in) {
  FuzzTransport link(in.stream);
  da::Channel channel(link);
  da::DaBoot boot(channel, replies_timing());
  da::Da1Info info;
  try {
    info = boot.sync();
  } catch (const da::DeviceError& e) {
    note(e.what());
    return;
  }
  const Bytes used = Bytes(in.stream->bytes).first(in.stream->position);
  FUZZ_CHECK(used.size() >= 7 && used[0] == w::kSync, "sync accepted without C0");
  const std::size_t count = da::bytes::be16(used, 5);
  FUZZ_CHECK(info.nand_ids.size() == count, "NAND id count");
  FUZZ_CHECK(used.size() == 7 + 2 * count + 4 + 16 + 3, "sync consumed " + std::to_string(used.size()) + " bytes");
  FUZZ_CHECK(info.chip_id == used.back(), "chip id");

  // Then what follows on the same link: the stage-2 configuration status and the upload ACKs.
  const std::size_t stage2_length = std::size_t{in.params[2]} * 64 + in.params[3];
  std::vector<std::uint8_t> image(stage2_length, 0x42);
  try {
    boot.send_stage2_config(in.params[0], in.params[1]);
    boot.upload_stage2(0x80000000, image);
    note("stage 2 uploaded");
  } catch (const da::DeviceError& e) {
    note(e.what());
  }
}

}  // namespace mtkfs::fuzz
