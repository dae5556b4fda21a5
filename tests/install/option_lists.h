// The option names a program's --help shows and those its man page documents, so that a test can
// compare the two sets.
#pragma once

#include <set>
#include <string>

namespace mtkfs::testing {

// Every "-x" / "--long" in the option column of CLI11 help text: lines that start with two spaces
// and a dash; the first word there, split at commas ("-h,--help", "--trailer,--da-trailer").
// CLI11's "Excludes: --port" notes name options listed on their own lines anyway.
std::set<std::string> help_options(const std::string& help_text);

// Every bold word that starts with a dash in the tag line of a .TP paragraph of the OPTIONS
// section (up to the next .SH): "\fB\-q\fR, \fB\-\-quiet\fR", ".BI \-\-da " FILE"",
// ".BR \-h ", " \-\-help". Arguments are italic (\fI, .I) and never counted.
std::set<std::string> man_options(const std::string& roff_text);

// The -o keys --help lists under "-o options taken by mtkfs": the first word of each indented line
// of that block, without "=VALUE".
std::set<std::string> help_mount_keys(const std::string& help_text);

// The -o keys the man page lists: bold words of the .TP tags inside the .RS/.RE block that follows
// the "-o" option's tag, without "=".
std::set<std::string> man_mount_keys(const std::string& roff_text);

// The file as a string; throws std::runtime_error naming it if it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace mtkfs::testing
