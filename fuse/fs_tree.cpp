#include "fuse/fs_tree.h"

#include <algorithm>
#include <cctype>

namespace mtkfs::fusefs {

std::string safe_file_name(std::string_view name, int number) {
  std::string out;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-';
    out += ok ? c : '_';
  }
  if (!out.empty() && out[0] == '.') out[0] = '_';
  if (out.empty()) out = "p" + std::to_string(number);
  return out;
}

Tree::Tree(const TreeSource& source, const FsOptions& options) {
  add(0, "", Node::Kind::directory);  // root, ino 1
  const bool rw = options.writable;
  add_image(kRootIno, "user_area.img", wire::HwPartition::user, 0, source.user_size, rw);
  // boot1/boot2 hold the preloader: writing them needs the extra rw_boot on top of rw.
  add_image(kRootIno, "boot1.img", wire::HwPartition::boot1, 0, source.boot1_size, rw && options.write_boot);
  add_image(kRootIno, "boot2.img", wire::HwPartition::boot2, 0, source.boot2_size, rw && options.write_boot);
  if (options.expose_rpmb) add_image(kRootIno, "rpmb.img", wire::HwPartition::rpmb, 0, source.rpmb_size, false);
  Node& text = add(kRootIno, "device.txt", Node::Kind::text);
  text.text = source.device_text;
  text.size = text.text.size();
  add(kRootIno, "status.txt", Node::Kind::status);

  const Ino dir = add(kRootIno, "partitions", Node::Kind::directory).ino;
  for (const auto& extent : source.partitions) {
    const std::string label = extent.name.empty() ? std::to_string(extent.number) : extent.name;
    // The partition parser already clamps; a mount must never expose bytes outside the user area anyway.
    if (extent.size == 0 || extent.offset >= source.user_size) {
      warnings_.push_back("partition " + label + " lies outside the user area; not shown");
      continue;
    }
    std::uint64_t size = extent.size;
    if (size > source.user_size - extent.offset) {
      size = source.user_size - extent.offset;
      warnings_.push_back("partition " + label + " was cut to the end of the user area");
    }
    const std::string name = unique_name(dir, safe_file_name(extent.name, extent.number) + ".img");
    add_image(dir, name, wire::HwPartition::user, extent.offset, size, rw);
  }
}

Node& Tree::add(Ino parent, std::string name, Node::Kind kind) {
  Node node;
  node.ino = nodes_.size() + 1;
  node.parent = parent == 0 ? node.ino : parent;
  node.name = std::move(name);
  node.kind = kind;
  nodes_.push_back(std::move(node));
  if (parent != 0) nodes_[parent - 1].children.push_back(nodes_.back().ino);
  return nodes_.back();
}

void Tree::add_image(Ino parent, std::string name, wire::HwPartition part, std::uint64_t offset,
                     std::uint64_t size, bool writable) {
  if (size == 0) return;  // the device has no such hardware partition
  Node& node = add(parent, std::move(name), Node::Kind::image);
  node.part = part;
  node.offset = offset;
  node.size = size;
  node.writable = writable;
}

std::string Tree::unique_name(Ino parent, std::string name) const {
  std::string candidate = name;
  for (int n = 2; child(parent, candidate) != nullptr; ++n) {
    const auto dot = name.rfind(".img");
    candidate = name.substr(0, dot) + "_" + std::to_string(n) + ".img";
  }
  return candidate;
}

const Node* Tree::find(Ino ino) const {
  if (ino == 0 || ino > nodes_.size()) return nullptr;
  return &nodes_[ino - 1];
}

const Node* Tree::child(Ino parent, std::string_view name) const {
  const Node* dir = find(parent);
  if (!dir || dir->kind != Node::Kind::directory) return nullptr;
  for (Ino ino : dir->children)
    if (nodes_[ino - 1].name == name) return &nodes_[ino - 1];
  return nullptr;
}

std::vector<Alias> Tree::aliases(const Node& node, std::uint64_t offset, std::uint64_t length) const {
  std::vector<Alias> out;
  const std::uint64_t begin = node.offset + offset;
  const std::uint64_t end = begin + length;
  for (const Node& other : nodes_) {
    if (other.kind != Node::Kind::image || other.ino == node.ino || other.part != node.part) continue;
    const std::uint64_t b = std::max(begin, other.offset);
    const std::uint64_t e = std::min(end, other.offset + other.size);
    if (b < e) out.push_back({&other, b - other.offset, e - b});
  }
  return out;
}

}  // namespace mtkfs::fusefs
