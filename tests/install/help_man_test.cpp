// --help and the man pages document the same options, and --version reports the project version.
#include <gtest/gtest.h>

#include "tests/support/run_program.h"
#include "tests/install/option_lists.h"
#include "tests/install/programs.h"

namespace mtkfs::testing {
namespace {

using Options = std::set<std::string>;

std::string help_of(const std::string& program, const std::vector<std::string>& args) {
  const ProgramResult r = run_program(program, args, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << program << ": " << r.err;
  return r.out;
}

// Names in `a` missing from `b`, for a failure message that says what to add where.
std::string missing(const Options& a, const Options& b) {
  std::string names;
  for (const auto& name : a)
    if (!b.count(name)) names += " " + name;
  return names.empty() ? " (none)" : names;
}

TEST(OptionLists, HelpOptionsTakesTheOptionColumnOnly) {
  const std::string help =
      "Usage: x [OPTIONS]\n"
      "Options:\n"
      "  -h,--help                   Print this help message and exit\n"
      "  --socket PATH Excludes: --port\n"
      "                              talk to --not-an-option here\n"
      "  --trailer,--da-trailer TEXT:{plain,prefixed}\n"
      "  -o OPT[,OPT...] ...         mount options\n"
      "Mounting:\n"
      "  mtkfs --da DA.bin /mnt/a50  an example, not an option\n";
  EXPECT_EQ(help_options(help), (Options{"-h", "--help", "--socket", "--trailer", "--da-trailer", "-o"}));
}

TEST(OptionLists, ManOptionsTakesBoldTagWordsOfTheOptionsSectionOnly) {
  const std::string roff =
      ".SH DESCRIPTION\n"
      ".TP\n"
      ".B \\-\\-outside\n"
      ".SH OPTIONS\n"
      ".TP\n"
      ".BR \\-h \", \" \\-\\-help\n"
      "Mentions \\fB\\-\\-in\\-body\\fR in the body.\n"
      ".TP\n"
      ".BI \\-\\-da \" FILE\"\n"
      ".TP\n"
      "\\fB\\-q\\fR, \\fB\\-\\-quiet\\fR\n"
      ".TP\n"
      ".BI \\-o \" OPT\\fR[\\fB,\\fIOPT\\fR...]\"\n"
      ".TP\n"
      ".BR \\-\\-trailer \", \" \\-\\-da\\-trailer \" \\fIplain\\fR|\\fIprefixed\\fR\"\n"
      ".TP\n"
      ".I \\-\\-italic\\-is\\-an\\-argument\n"
      ".SH EXAMPLES\n"
      ".TP\n"
      ".B \\-\\-after\n";
  EXPECT_EQ(man_options(roff),
            (Options{"-h", "--help", "--da", "-q", "--quiet", "-o", "--trailer", "--da-trailer"}));
}

TEST(OptionLists, AnOptionAddedToOneSideOnlyMakesTheSetsDiffer) {
  const std::string help = "Options:\n  -h,--help  help\n  --rw  writable\n";
  const std::string man = ".SH OPTIONS\n.TP\n.BR \\-h \", \" \\-\\-help\n.TP\n.B \\-\\-rw\n";
  EXPECT_EQ(help_options(help), man_options(man));
  EXPECT_NE(help_options(help + "  --new  a new option\n"), man_options(man));
  EXPECT_NE(help_options(help), man_options(man + ".TP\n.B \\-\\-new\n"));
}

TEST(ManPage, MtkfsDocumentsExactlyTheOptionsOfItsHelp) {
  const Options help = help_options(help_of(mtkfs_program(), {"--help"}));
  const Options man = man_options(read_text_file(man_page("mtkfs.1")));
  // Guards against both parsers finding nothing, which would compare equal.
  for (const char* name : {"--da", "--info", "--rw", "--rw-boot", "-o", "-q", "--version", "--help"})
    EXPECT_TRUE(help.count(name)) << name << " not found in mtkfs --help";
  EXPECT_EQ(help, man) << "in --help, not in man/mtkfs.1:" << missing(help, man)
                       << "\nin man/mtkfs.1, not in --help:" << missing(man, help);
}

// --help prints the -o keys from the parser's own table; the man page must list the same ones.
TEST(ManPage, MtkfsDocumentsExactlyTheMountKeysOfItsHelp) {
  const Options help = help_mount_keys(help_of(mtkfs_program(), {"--help"}));
  const Options man = man_mount_keys(read_text_file(man_page("mtkfs.1")));
  for (const char* key : {"rw", "writable", "ro", "rw_boot", "allow_other", "cache_size", "da", "end", "wait"})
    EXPECT_TRUE(help.count(key)) << key << " not found under '-o options taken by mtkfs' in mtkfs --help";
  EXPECT_EQ(help, man) << "in --help, not in man/mtkfs.1:" << missing(help, man)
                       << "\nin man/mtkfs.1, not in --help:" << missing(man, help);
}

TEST(ManPage, MtkfsSimDocumentsExactlyTheOptionsOfItsHelpAndSubcommands) {
  Options help = help_options(help_of(mtkfs_sim_program(), {"--help"}));
  for (const char* sub : {"init", "make-da", "usb"}) {
    const Options more = help_options(help_of(mtkfs_sim_program(), {sub, "--help"}));
    help.insert(more.begin(), more.end());
  }
  const Options man = man_options(read_text_file(man_page("mtkfs-sim.1")));
  for (const char* name :
       {"--dir", "--socket", "--pty", "--fault-delay", "--layout", "--pattern", "--version"})
    EXPECT_TRUE(help.count(name)) << name << " not found in mtkfs-sim --help";
  EXPECT_EQ(help, man) << "in --help, not in man/mtkfs-sim.1:" << missing(help, man)
                       << "\nin man/mtkfs-sim.1, not in --help:" << missing(man, help);
}

TEST(ManPage, HasTheSectionsUsersLookFor) {
  for (const char* page : {"mtkfs.1", "mtkfs-sim.1"}) {
    const std::string text = read_text_file(man_page(page));
    for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH EXAMPLES",
                                ".SH FILES", ".SH EXIT STATUS", ".SH SEE ALSO"})
      EXPECT_NE(text.find(std::string("\n") + section), std::string::npos) << page << ": " << section;
  }
}

TEST(Version, BothProgramsPrintTheProjectVersion) {
  const ProgramResult mtkfs = run_program(mtkfs_program(), {"--version"}, std::chrono::seconds(30));
  EXPECT_EQ(mtkfs.exit_code, 0) << mtkfs.err;
  EXPECT_EQ(mtkfs.out, "mtkfs " MTKFS_PROJECT_VERSION "\n");
  const ProgramResult sim = run_program(mtkfs_sim_program(), {"--version"}, std::chrono::seconds(30));
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_EQ(sim.out, "mtkfs-sim " MTKFS_PROJECT_VERSION "\n");
}

}  // namespace
}  // namespace mtkfs::testing
