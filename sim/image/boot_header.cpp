// Synthetic Preloader headers at the start of boot1 (docs/protocol/partitions.md §7). Nothing
// executes them; they exist so hosts can recognise a boot1 dump the way mtkclient does.
#include <array>

#include "sim/image/byte_order.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image::detail {
namespace {

constexpr std::uint32_t kBrlytOffset = 0x200;
constexpr std::uint32_t kPreloaderOffset = 0x800;
constexpr std::uint32_t kPreloaderLength = 0x400;  // the whole synthetic image is written below

}  // namespace

void write_boot1_header(DiskFile& boot1) {
  std::array<std::uint8_t, 0x200> emmc_boot{};
  put_text(emmc_boot, 0x00, "EMMC_BOOT");
  put_le32(emmc_boot, 0x0C, 1);  // header version
  put_le32(emmc_boot, 0x10, kBrlytOffset);

  std::array<std::uint8_t, 0x200> brlyt{};
  put_text(brlyt, 0x00, "BRLYT");
  put_le32(brlyt, 0x08, 1);  // layout version
  put_le32(brlyt, 0x0C, kPreloaderOffset);

  // GFH_FILE_INFO block: magic "MMM", version 1, block size, type 0, then the file description.
  std::array<std::uint8_t, kPreloaderLength> image{};
  put_text(image, 0x00, std::string_view("MMM\x01", 4));
  put_le16(image, 0x04, 0x38);
  put_le16(image, 0x06, 0);
  put_text(image, 0x08, "FILE_INFO");
  put_le32(image, 0x14, 1);            // file version
  put_le16(image, 0x18, 0);            // file type: boot loader
  image[0x1A] = 5;                     // flash device: eMMC boot partition
  image[0x1B] = 1;                     // signature type: none/plain
  put_le32(image, 0x1C, 0x00201000);   // load address (Preloader SRAM)
  put_le32(image, 0x20, kPreloaderLength);
  put_le32(image, 0x24, 0x00020000);   // maximum size
  put_le32(image, 0x28, 0x100);        // content offset
  put_le32(image, 0x2C, 0);            // signature length
  put_le32(image, 0x30, 0x100);        // jump offset
  put_le32(image, 0x34, 1);            // attributes
  put_text(image, 0x100, "MTKFS-SIM PRELOADER");
  put_text(image, 0x180, "MTK_BLOADER_INFO_v22");

  boot1.write_at(0, emmc_boot);
  boot1.write_at(kBrlytOffset, brlyt);
  boot1.write_at(kPreloaderOffset, image);
}

}  // namespace mtkfs::sim::image::detail
