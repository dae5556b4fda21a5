#include "app/da_discovery.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "da/da_file.h"
#include "da/errors.h"

namespace mtkfs::cli {
namespace fs = std::filesystem;
namespace {

constexpr std::uint16_t kNwA50HwCode = 0x8590;

bool is_da_name(const std::string& name) {
  const bool prefix = name.rfind("MTK_AllInOne_DA", 0) == 0 || name.rfind("MTK_DA", 0) == 0;
  return prefix && name.size() > 4 && name.compare(name.size() - 4, 4, ".bin") == 0;
}

// The DA files directly in `dir`, by name (so that the choice does not depend on directory order).
std::vector<fs::path> da_files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_da_name(it->path().filename().string())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every `pattern_dir/<python3.*>/tail` that exists: site-packages of each Python version installed.
std::vector<fs::path> per_python(const fs::path& lib, const fs::path& tail) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(lib, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("python3", 0) == 0) dirs.push_back(it->path() / tail);
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

class Search {
 public:
  void look(const fs::path& dir, const std::string& found_in) {
    if (std::find(looked_.begin(), looked_.end(), dir) != looked_.end()) return;
    looked_.push_back(dir);
    result.places.push_back(dir.string() + " (" + found_in + ")");
    for (const fs::path& file : da_files_in(dir)) result.candidates.push_back({file, found_in});
  }
  DaSearch result;

 private:
  std::vector<fs::path> looked_;
};

}  // namespace

DaSearchEnvironment process_environment() {
  DaSearchEnvironment env;
  env.getenv = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
  if (auto home = env.getenv("HOME")) {
    env.home = *home;
  } else if (const passwd* pw = ::getpwuid(::getuid())) {
    env.home = pw->pw_dir;
  }
  return env;
}

fs::path user_da_directory(const DaSearchEnvironment& env) {
  if (auto data = env.getenv("XDG_DATA_HOME")) return fs::path(*data) / "mtkfs";
  return env.home / ".local/share/mtkfs";
}

DaSearch find_da_files(const DaSearchEnvironment& env) {
  Search s;
  if (auto named = env.getenv("MTKFS_DA")) {
    const fs::path path(*named);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      s.look(path, "$MTKFS_DA");
    } else {
      s.result.places.push_back(path.string() + " ($MTKFS_DA)");
      if (fs::exists(path, ec)) s.result.candidates.push_back({path, "$MTKFS_DA"});
    }
  }
  s.look(user_da_directory(env), "your data directory, where mtkfs --save-da puts it");
  s.look(env.root / "usr/local/share/mtkfs", "local install");
  s.look(env.root / "usr/share/mtkfs", "system install");
  const fs::path loader = "mtkclient/Loader";
  if (auto checkout = env.getenv("MTKCLIENT_DIR")) {
    s.look(fs::path(*checkout) / loader, "mtkclient checkout, $MTKCLIENT_DIR");
  }
  for (const fs::path& dir : per_python(env.home / ".local/lib", fs::path("site-packages") / loader))
    s.look(dir, "mtkclient, installed for you (pip --user)");
  for (const fs::path& dir :
       per_python(env.home / ".local/pipx/venvs/mtkclient/lib", fs::path("site-packages") / loader))
    s.look(dir, "mtkclient, installed with pipx");
  // Debian's python3-* packages: listed even where no Python is installed, as the usual place.
  s.look(env.root / "usr/lib/python3/dist-packages" / loader, "mtkclient, installed system-wide");
  for (const char* lib : {"usr/local/lib", "usr/lib"}) {
    for (const char* packages : {"dist-packages", "site-packages"})
      for (const fs::path& dir : per_python(env.root / lib, fs::path(packages) / loader))
        s.look(dir, "mtkclient, installed system-wide");
  }
  return s.result;
}

fs::path save_da(const fs::path& file, const DaSearchEnvironment& env) {
  const da::DaFile da = da::load_da_file(file);
  // The device is not connected: check the file against the chip mtkfs is for (device versions 0
  // match any entry's minimum, docs/protocol/da-file.md §3).
  da::select_da_entry(da, kNwA50HwCode, 0, 0);
  const fs::path dir = user_da_directory(env);
  fs::create_directories(dir);
  std::string name = file.filename().string();
  if (!is_da_name(name)) name = "MTK_AllInOne_DA_" + name + (name.size() > 4 && name.ends_with(".bin") ? "" : ".bin");
  const fs::path target = dir / name;
  fs::copy_file(file, target, fs::copy_options::overwrite_existing);
  return target;
}

}  // namespace mtkfs::cli
