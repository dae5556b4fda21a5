// --help for every libFuzzer target (linked in by mtkfs_fuzz_target). libFuzzer's own flags take one
// dash (-help=1 lists them) and it ignores anything starting with "--", so without this `fuzz_x --help`
// would start fuzzing for ever. It runs before libFuzzer's main: glibc hands argc and argv to the
// functions of .init_array, which is where constructors go.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

void print_usage(const char* self) {
  std::printf(
      "Usage: %s [-FLAG=VALUE...] [CORPUS_DIR... | INPUT_FILE...]\n"
      "A libFuzzer target of mtkfs (tests/fuzz/README.md); scripts/fuzz.sh builds and runs every target.\n"
      "  %s INPUT_FILE...  runs these inputs once, e.g. a crash to reproduce (MTKFS_FUZZ_VERBOSE=1 says what\n"
      "    happened)\n"
      "  %s CORPUS_DIR -max_total_time=30  fuzzes, adding new inputs to CORPUS_DIR\n"
      "libFuzzer's flags take one dash: %s -help=1 lists them.\n",
      self, self, self, self);
}

__attribute__((constructor)) void answer_help(int argc, char** argv, char**) {
  if (argc < 1 || argv == nullptr) return;
  const char* slash = std::strrchr(argv[0], '/');
  const char* self = slash != nullptr ? slash + 1 : argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(self);
      std::fflush(stdout);
      std::exit(0);
    }
    if (arg.starts_with("--")) {
      std::fprintf(stderr, "%s: unknown option %s: libFuzzer flags take one dash (%s -help=1 lists them)\n", self,
                   argv[i], self);
      std::exit(2);
    }
  }
}

}  // namespace
