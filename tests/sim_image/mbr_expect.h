// Shared MBR-layout checks (used by the 256 MiB and the full-size tests).
#pragma once

#include <filesystem>
#include <vector>

#include "tests/sim_image/test_util.h"

namespace mtkfs::sim::image::test {

// p2..p29 of the NW-A50 MBR layout for a user area of `user_size` (contents up to size - 1 MiB).
std::vector<Expected> expected_mbr_rows(std::uint64_t user_size);

// Attaches user.img read-only with partition scanning and checks Linux's view: p1 = extended at
// EBR1 (2 sectors), p2..p29 = `rows`. If `last_raw_sectors` is non-zero the last partition's
// count on disk is that (mtk_last_size) and Linux must clamp it to the end of the device.
// With a kernel that parses MBRs the block layer's partitions are compared; on a kernel without
// CONFIG_MSDOS_PARTITION the reference decoder (kernel rules) and libblkid are used instead.
void expect_linux_view(const std::filesystem::path& user_img, const std::vector<Expected>& rows,
                       std::uint64_t last_raw_sectors = 0);

// Decodes the PMT and its mirror at user_size - 1 MiB and compares them with mbr, ebr1..ebr9 + rows.
void expect_pmt(const std::filesystem::path& user_img, std::uint64_t user_size, const std::vector<Expected>& rows);

}  // namespace mtkfs::sim::image::test
