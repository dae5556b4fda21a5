#pragma once

// Label decoding and the mapping from on-disk labels to file names the FUSE layer can expose.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "partition/partition_table.h"

namespace mtkfs::partition {

// Decodes up to the first NUL unit of UTF-16LE `bytes` (odd trailing byte ignored). Surrogate
// pairs become 4-byte UTF-8; unpaired surrogates become U+FFFD.
std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes);

// Copies `bytes` up to the first NUL, replacing every invalid UTF-8 sequence by U+FFFD.
std::string sanitize_utf8(std::span<const std::uint8_t> bytes);

// One '_' per code point outside [A-Za-z0-9._+-]; a leading '.' becomes '_' so that "." / ".."
// and hidden files cannot appear. Empty label -> empty result (caller picks the fallback).
std::string safe_file_name(std::string_view utf8_label);

// Gives every extent its `name`: safe_file_name(label), else "p<number>"; later duplicates get
// "_2", "_3"... so names stay unique while the first occurrence keeps the plain name.
void assign_file_names(std::vector<Extent>& extents);

}  // namespace mtkfs::partition
