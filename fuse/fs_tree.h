// The fixed file tree of a mount: which file shows which bytes of which hardware partition.
// Built once before serving; never changes, so FUSE threads read it without locking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "da/wire.h"
#include "fuse/filesystem.h"
#include "partition/partition_table.h"

namespace mtkfs::fusefs {

using Ino = std::uint64_t;
inline constexpr Ino kRootIno = 1;

struct Node {
  // status: status.txt, whose text is made anew from the cache's figures (fs_ops.cpp, status_text.h)
  enum class Kind { directory, image, text, status };
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
  Kind kind = Kind::directory;
  wire::HwPartition part = wire::HwPartition::user;  // image: bytes [offset, offset + size) of `part`
  std::uint64_t offset = 0;
  std::uint64_t size = 0;  // file size in bytes (text: text.size(); status: 0, the size is the current text's)
  bool writable = false;
  std::string text;             // text files only
  std::vector<Ino> children;    // directories only
};

// Another image file that shows some of the same device bytes.
struct Alias {
  const Node* node;
  std::uint64_t file_offset;  // where the shared bytes start in that file
  std::uint64_t length;
};

struct TreeSource {
  std::uint64_t user_size = 0;
  std::uint64_t boot1_size = 0;
  std::uint64_t boot2_size = 0;
  std::uint64_t rpmb_size = 0;
  std::vector<partition::Extent> partitions;  // in the user area
  std::string device_text;
};

class Tree {
 public:
  Tree(const TreeSource& source, const FsOptions& options);

  const Node* find(Ino ino) const;
  const Node* child(Ino parent, std::string_view name) const;
  std::vector<Alias> aliases(const Node& node, std::uint64_t offset, std::uint64_t length) const;
  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Node& add(Ino parent, std::string name, Node::Kind kind);
  void add_image(Ino parent, std::string name, wire::HwPartition part, std::uint64_t offset, std::uint64_t size,
                 bool writable);
  std::string unique_name(Ino parent, std::string name) const;

  std::vector<Node> nodes_;  // nodes_[ino - 1]
  std::vector<std::string> warnings_;
};

// A file name that is safe in a directory listing: [A-Za-z0-9._+-], no leading '.', never empty.
std::string safe_file_name(std::string_view name, int number);

}  // namespace mtkfs::fusefs
