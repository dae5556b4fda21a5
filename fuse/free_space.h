// -o skip_free: the blocks the filesystems inside the user area mark free (fsmap/) read as zeros
// without any device read, and are holes for SEEK_DATA/SEEK_HOLE and st_blocks, in user_area.img and in
// every partition file alike (all in user-area byte offsets). Built once at mount; a write through a
// --rw mount takes the bytes it wrote out of it, since they hold data from then on.
//
// Thread-safe: FUSE workers read it concurrently (shared lock), writers take bytes out (exclusive).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <vector>

namespace mtkfs::fusefs {

class FreeSpace {
 public:
  struct Piece {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool free = false;
    bool operator==(const Piece&) const = default;
  };

  // Adds free bytes (merged with neighbours); only before serving starts.
  void add(std::uint64_t offset, std::uint64_t length);
  // They hold written data now.
  void mark_used(std::uint64_t offset, std::uint64_t length);

  // [offset, offset + length) cut into free and used pieces, in order; one used piece when nothing is free.
  std::vector<Piece> pieces(std::uint64_t offset, std::uint64_t length) const;
  std::uint64_t free_bytes(std::uint64_t offset, std::uint64_t length) const;
  // lseek inside the file [begin, end): the first data byte at or after `from` (nullopt: only holes up to
  // `end`), and the first hole byte at or after `from` (`end` when none: the end of a file is a hole).
  std::optional<std::uint64_t> next_data(std::uint64_t from, std::uint64_t end) const;
  std::uint64_t next_hole(std::uint64_t from, std::uint64_t end) const;
  bool empty() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> free_;  // start -> end (exclusive); disjoint and never touching
};

}  // namespace mtkfs::fusefs
