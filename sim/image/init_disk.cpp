// init_disk: validates the options, then writes the four hardware-partition images.
#include <stdexcept>
#include <string>
#include <system_error>

#include "da/wire.h"
#include "sim/image/image.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image {

std::uint64_t pattern_word(std::uint8_t region_id, std::uint64_t offset) {
  return (std::uint64_t{region_id} << 56) | offset;
}

static_assert(kRegionBoot1 == static_cast<std::uint8_t>(wire::HwPartition::boot1));
static_assert(kRegionBoot2 == static_cast<std::uint8_t>(wire::HwPartition::boot2));
static_assert(kRegionRpmb == static_cast<std::uint8_t>(wire::HwPartition::rpmb));
static_assert(kRegionUser == static_cast<std::uint8_t>(wire::HwPartition::user));
static_assert(kSector == wire::kSectorSize);

namespace {

using detail::DiskFile;

constexpr std::uint64_t kBoot1HeaderEnd = 0x1000;  // EMMC_BOOT, BRLYT and GFH fit below this
constexpr std::uint64_t kPatternOffsetLimit = std::uint64_t{1} << 56;  // offsets must not reach the id byte

void check_size(const char* name, std::uint64_t size) {
  if (size == 0 || size % kSector != 0)
    throw std::runtime_error(std::string(name) + " size " + std::to_string(size) +
                             " must be a non-zero multiple of 512 bytes");
  if (size >= kPatternOffsetLimit)
    throw std::runtime_error(std::string(name) + " size " + std::to_string(size) + " is too large");
}

bool writes_boot1_header(const InitOptions& o) { return !o.pattern || o.layout != Layout::none; }

void validate(const InitOptions& o) {
  if (o.dir.empty()) throw std::runtime_error("init_disk: no image directory given");
  check_size("boot1", o.boot1_size);
  check_size("boot2", o.boot2_size);
  check_size("rpmb", o.rpmb_size);
  check_size("user", o.user_size);
  if (writes_boot1_header(o) && o.boot1_size < kBoot1HeaderEnd)
    throw std::runtime_error("boot1 size " + std::to_string(o.boot1_size) + " cannot hold the " +
                             std::to_string(kBoot1HeaderEnd) + "-byte Preloader header");
  if (o.mtk_last_size && o.layout != Layout::mbr)
    throw std::runtime_error("mtk_last_size only applies to the mbr layout");
  if (o.layout == Layout::mbr && o.user_size / kSector > 0xFFFFFFFF)
    throw std::runtime_error("user size " + std::to_string(o.user_size) +
                             " exceeds the 2 TiB an MBR can address");
  if (o.layout != Layout::none) (void)partition_table(o.user_size, o.layout);  // throws if too small
}

DiskFile create_region(const InitOptions& o, const char* file_name, std::uint64_t size, std::uint8_t id) {
  DiskFile file = DiskFile::create(o.dir / file_name, size);
  if (o.pattern) file.fill_pattern(id);
  return file;
}

void write_user_layout(DiskFile& user, const InitOptions& o) {
  const auto table = partition_table(o.user_size, o.layout);
  if (o.layout == Layout::gpt) {
    detail::write_gpt(user, table);
  } else {
    detail::write_mbr_ebr(user, table, o.mtk_last_size);
    detail::write_pmt(user, table);
  }
  for (const auto& p : table)
    if (p.name == kAndroidPartitionName) detail::write_system_ext4(user, p, !o.pattern);
}

}  // namespace

void init_disk(const InitOptions& options) {
  validate(options);
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec || !std::filesystem::is_directory(options.dir))
    throw std::runtime_error("cannot create the image directory " + options.dir.string() +
                             (ec ? ": " + ec.message() : ": a non-directory is in the way"));

  DiskFile boot1 = create_region(options, "boot1.img", options.boot1_size, kRegionBoot1);
  if (writes_boot1_header(options)) detail::write_boot1_header(boot1);
  boot1.close();
  create_region(options, "boot2.img", options.boot2_size, kRegionBoot2).close();
  create_region(options, "rpmb.img", options.rpmb_size, kRegionRpmb).close();

  DiskFile user = create_region(options, "user.img", options.user_size, kRegionUser);
  if (options.layout != Layout::none) write_user_layout(user, options);
  user.close();
}

}  // namespace mtkfs::sim::image
