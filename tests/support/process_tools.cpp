#include "tests/support/process_tools.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>


namespace mtkfs::testing {
namespace {

// /proc/PID/stat: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
std::optional<pid_t> parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  pid_t ppid = 0;
  if (!(rest >> state >> ppid)) return std::nullopt;
  return ppid;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

struct MountEntry {
  std::string point;
  std::string type;
};

std::vector<MountEntry> mount_table() {
  std::vector<MountEntry> entries;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point, word;
    fields >> id >> parent >> devno >> root >> point;
    while (fields >> word && word != "-") {
    }
    std::string type;
    fields >> type;
    entries.push_back({unescape(point), type});
  }
  return entries;
}

}  // namespace

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw std::runtime_error("prctl(PR_SET_CHILD_SUBREAPER) failed");
}

std::vector<pid_t> children_running(const std::string& binary, const std::string& mentioning) {
  std::error_code ec;
  const auto wanted = std::filesystem::canonical(binary, ec);
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (parent_of(pid) != ::getpid()) continue;
    std::error_code link_error;
    const auto exe = std::filesystem::read_symlink(entry.path() / "exe", link_error);
    if (link_error || exe != wanted) continue;
    if (mentioning.empty() || read_text_file((entry.path() / "cmdline").string()).find(mentioning) != std::string::npos)
      found.push_back(pid);
  }
  return found;
}

std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;  // not our child (any more)
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

std::vector<std::string> mounts_under(const std::string& root) {
  std::vector<std::string> points;
  for (const auto& e : mount_table()) {
    if (e.point == root || e.point.rfind(root + "/", 0) == 0) points.push_back(e.point);
  }
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

std::optional<std::string> mount_type(const std::string& mountpoint) {
  std::optional<std::string> type;
  for (const auto& e : mount_table())
    if (e.point == mountpoint) type = e.type;  // the last one is the visible one
  return type;
}

void unmount_all_under(const std::string& root) {
  for (int round = 0; round < 4; ++round) {
    const auto points = mounts_under(root);
    if (points.empty()) return;
    for (const auto& p : points)
      if (::umount2(p.c_str(), 0) != 0) ::umount2(p.c_str(), MNT_DETACH);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace mtkfs::testing
