// The eMMC hardware partitions, each backed by an image file in the simulator's directory.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "da/wire.h"
#include "sim/sim.h"

namespace mtkfs::sim {

class Regions {
 public:
  // Opens (or creates sparse) DIR/boot1.img boot2.img rpmb.img user.img. Throws std::runtime_error.
  explicit Regions(const SimConfig& config);
  ~Regions();
  Regions(const Regions&) = delete;
  Regions& operator=(const Regions&) = delete;

  // Size of a hardware partition in bytes; the GP partitions do not exist (0).
  std::uint64_t size(wire::HwPartition partition) const;
  // Bounds are checked by the caller against size(); these still refuse anything outside the file.
  void read(wire::HwPartition partition, std::uint64_t offset, std::span<std::uint8_t> out) const;
  void write(wire::HwPartition partition, std::uint64_t offset, std::span<const std::uint8_t> data);

 private:
  struct Backing {
    std::string name;
    int fd = -1;
    std::uint64_t size = 0;
  };
  const Backing& backing(wire::HwPartition partition) const;

  std::array<Backing, 4> files_;  // boot1, boot2, rpmb, user
};

}  // namespace mtkfs::sim
