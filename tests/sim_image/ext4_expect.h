#pragma once

#include <cstdint>
#include <filesystem>

namespace mtkfs::sim::image::test {

// Attaches [offset, offset+size) of `image` as a loop device and checks the "system" file system:
// e2fsck -fn is clean, label/last-mounted are right and the known files have their documented content.
void expect_system_ext4(const std::filesystem::path& image, std::uint64_t offset, std::uint64_t size,
                        const std::filesystem::path& scratch);

}  // namespace mtkfs::sim::image::test
