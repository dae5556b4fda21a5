#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "partition/partition_table.h"

namespace mtkfs::partition::test {

inline bool only_safe_chars(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '+' || c == '-';
  });
}

// The promises read_table makes for any input.
inline void expect_sane(const Table& table, std::uint64_t region_size) {
  std::set<std::string> names;
  for (const Extent& e : table.extents) {
    SCOPED_TRACE("extent " + e.name);
    EXPECT_EQ(e.offset % 512, 0u);
    EXPECT_GT(e.size, 0u);
    EXPECT_EQ(e.size % 512, 0u);
    EXPECT_LE(e.offset, region_size);
    EXPECT_LE(e.size, region_size - std::min(e.offset, region_size));
    EXPECT_FALSE(e.name.empty());
    EXPECT_NE(e.name.front(), '.');
    EXPECT_TRUE(only_safe_chars(e.name));
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
  }
  if (table.scheme == Scheme::none) {
    EXPECT_TRUE(table.extents.empty());
  }
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

inline bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace mtkfs::partition::test
