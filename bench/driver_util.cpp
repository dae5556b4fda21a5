#include "bench/driver_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/support/run_program.h"

namespace mtkfs::bench::driver {

std::string format(const char* fmt, double value) {
  char text[64];
  std::snprintf(text, sizeof text, fmt, value);
  return text;
}
double number(const std::string& text) {
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    throw Failure("not a number: '" + text + "'");
  }
}
std::string human(std::uint64_t bytes) { return format("%.0f MiB", static_cast<double>(bytes) / MiB); }
std::string per_gib(double cpu_seconds, std::uint64_t bytes) {
  return format("%.2f", cpu_seconds / (static_cast<double>(bytes) / GiB));
}
std::string mbps(std::uint64_t bytes, double seconds) { return format("%.0f", static_cast<double>(bytes) / seconds / 1e6); }

// "key=value key=value" (the mtkfs-bench-* programs' output line).
std::map<std::string, std::string> key_values(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}
std::string need(const std::map<std::string, std::string>& kv, const std::string& key) {
  const auto it = kv.find(key);
  if (it == kv.end()) throw Failure("no " + key + " in the output");
  return it->second;
}

// The flat JSON object of mtkfs --stats-file: numbers and true/false, by key.
std::map<std::string, std::string> read_stats(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Failure("no statistics file " + file.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find('"', pos)) != std::string::npos) {
    const auto end = text.find('"', pos + 1);
    const auto colon = text.find(':', end);
    if (end == std::string::npos || colon == std::string::npos) break;
    auto value_end = text.find_first_of(",}", colon);
    std::string value = text.substr(colon + 1, value_end - colon - 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of(" \n") + 1);
    out[text.substr(pos + 1, end - pos - 1)] = value;
    pos = value_end;
  }
  if (out.count("format") == 0) throw Failure("not a statistics file: " + file.string());
  return out;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw Failure(name + " is not on PATH");
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  while (lines-- > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 2 < text.size() ? pos - 2 : 0);
    if (pos == std::string::npos) return text;
    ++pos;
  }
  return text.substr(pos);
}

// Runs a program to its end; throws unless it exits 0. Returns its stdout.
std::string run(const std::string& program, const std::vector<std::string>& args) {
  const mtkfs::testing::ProgramResult r = mtkfs::testing::run_program(program, args, kStepTimeout);
  if (r.exit_code != 0) {
    std::string command = program;
    for (const auto& a : args) command += " " + a;
    throw Failure("failed (exit " + std::to_string(r.exit_code) + "): " + command + "\n" + tail(r.err));
  }
  return r.out;
}

// Bytes [a_offset, +size) of a and [b_offset, +size) of b are equal.
void compare_files(const fs::path& a, std::uint64_t a_offset, const fs::path& b, std::uint64_t b_offset,
                   std::uint64_t size, const std::string& what) {
  const int fa = ::open(a.c_str(), O_RDONLY | O_CLOEXEC), fb = ::open(b.c_str(), O_RDONLY | O_CLOEXEC);
  if (fa < 0 || fb < 0) {
    if (fa >= 0) ::close(fa);
    if (fb >= 0) ::close(fb);
    throw Failure("cannot open " + a.string() + " or " + b.string());
  }
  std::vector<char> ba(MiB), bb(MiB);
  bool same = true;
  for (std::uint64_t done = 0; done < size && same;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(MiB, size - done));
    same = ::pread(fa, ba.data(), n, static_cast<off_t>(a_offset + done)) == static_cast<ssize_t>(n) &&
           ::pread(fb, bb.data(), n, static_cast<off_t>(b_offset + done)) == static_cast<ssize_t>(n) &&
           std::memcmp(ba.data(), bb.data(), n) == 0;
    done += n;
  }
  ::close(fa);
  ::close(fb);
  if (!same) throw Failure(what);
}

void write_file(const fs::path& path, std::uint64_t size, bool random) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<std::uint64_t> block(MiB / 8, 0);
  std::mt19937_64 generator(std::random_device{}());
  for (std::uint64_t done = 0; done < size; done += MiB) {
    if (random)
      for (auto& word : block) word = generator();
    out.write(reinterpret_cast<const char*>(block.data()),
              static_cast<std::streamsize>(std::min<std::uint64_t>(MiB, size - done)));
  }
  if (!out.flush()) throw Failure("cannot write " + path.string());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
double load1() { return number(read_text("/proc/loadavg").substr(0, read_text("/proc/loadavg").find(' '))); }
std::string load3() {
  const std::string text = read_text("/proc/loadavg");
  std::istringstream words(text);
  std::string a, b, c;
  words >> a >> b >> c;
  return a + " " + b + " " + c;
}

Run median_of(const std::vector<Run>& runs) {
  Run out;
  for (std::size_t i = 0; i < runs.front().size(); ++i) {
    std::vector<std::string> column;
    for (const auto& r : runs) column.push_back(r[i]);
    std::sort(column.begin(), column.end(), [](const auto& x, const auto& y) { return number(x) < number(y); });
    out.push_back(column[(column.size() + 1) / 2 - 1]);
  }
  return out;
}
Run best_of(const std::vector<Run>& runs) {
  return *std::max_element(runs.begin(), runs.end(),
                           [](const Run& x, const Run& y) { return number(x[0]) < number(y[0]); });
}
std::string spread_of(const std::vector<Run>& runs) {
  if (runs.size() < 2) return "";
  Run lo = runs.front(), hi = runs.front();
  for (const auto& r : runs) {
    if (number(r[0]) < number(lo[0])) lo = r;
    if (number(r[0]) > number(hi[0])) hi = r;
  }
  return lo[0] + "-" + hi[0];
}

}  // namespace mtkfs::bench::driver
