// libFuzzer target: da/session_record.h (the record a later mtkfs reads to continue a running DA).
// Input: the file's bytes. Invariants: parse never crashes; an accepted record has a user area, whole
// sectors, a speed byte a DA can report, and formats back to text that parses to the same record.
#include <cstdint>
#include <string_view>

#include "da/session_record.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtkfs::da;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto record = parse_session_record(text, error);
  if (!record) {
    FUZZ_CHECK(!error.empty(), "a refused record without a reason");
    return 0;
  }
  const FlashInfo& info = record->info;
  FUZZ_CHECK(info.report.emmc_user_size > 0, "a record without a user area");
  for (auto part : {HwPartition::boot1, HwPartition::boot2, HwPartition::rpmb, HwPartition::gp1, HwPartition::gp2,
                    HwPartition::gp3, HwPartition::gp4, HwPartition::user})
    FUZZ_CHECK(info.partition_size(part) % 512 == 0, "a size that is not whole sectors");
  FUZZ_CHECK(info.usb_speed <= 2, "a USB speed byte above 2");
  const std::string again = format_session_record(record->link, info);
  const auto reparsed = parse_session_record(again, error);
  FUZZ_CHECK(reparsed.has_value(), "a formatted record does not parse");
  FUZZ_CHECK(format_session_record(reparsed->link, reparsed->info) == again, "format/parse is not stable");
  return 0;
}
