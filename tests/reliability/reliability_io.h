// Reading and writing through a mount the way the reliability tests need it: every byte read() returned
// is checked against the pattern, every failure is kept with its errno, and what a write phase promised
// (fsync returned 0) can be checked on the simulator's image afterwards.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/reliability/reliability_support.h"

namespace mtkfs::reliability {

struct Request {
  std::uint64_t offset;  // in the file
  std::size_t length;
};

struct ReadResult {
  std::uint64_t bytes_ok = 0;  // bytes returned and verified
  int error = 0;               // errno of the first failing call (open or pread), 0 if none
  std::uint64_t error_offset = 0;
  std::optional<std::string> wrong;  // the first byte that was NOT the pattern: never acceptable
  bool early_eof = false;            // a read inside the file returned 0 bytes: never acceptable
};

// preads `requests` from `file` (whose byte 0 is region byte `base`), stopping at the first failure.
inline ReadResult read_and_verify(const std::string& file, std::uint64_t base, const std::vector<Request>& requests,
                                  std::uint8_t region = kUser) {
  FuseFilesScope files;
  ReadResult r;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = errno;
    return r;
  }
  Bytes buffer;
  for (const Request& q : requests) {
    buffer.resize(q.length);
    std::size_t done = 0;
    while (done < q.length) {
      const ssize_t n = ::pread(fd, buffer.data() + done, q.length - done, static_cast<off_t>(q.offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        r.error = errno;
        r.error_offset = q.offset + done;
        ::close(fd);
        return r;
      }
      if (n == 0) {
        r.early_eof = true;
        ::close(fd);
        return r;
      }
      const auto got = std::span<const std::uint8_t>(buffer.data() + done, static_cast<std::size_t>(n));
      if (auto bad = pattern_mismatch(region, base + q.offset + done, got)) {
        const std::uint64_t at = base + q.offset + done + *bad;
        std::ostringstream text;
        text << "byte at region offset 0x" << std::hex << at << " is 0x" << int(got[*bad]) << ", pattern 0x"
             << int(pattern_byte(region, at));
        r.wrong = text.str();
        ::close(fd);
        return r;
      }
      done += static_cast<std::size_t>(n);
      r.bytes_ok += static_cast<std::uint64_t>(n);
    }
  }
  ::close(fd);
  return r;
}

inline std::vector<Request> sequential_requests(std::uint64_t offset, std::uint64_t length, std::size_t piece) {
  std::vector<Request> out;
  for (std::uint64_t at = 0; at < length; at += piece)
    out.push_back({offset + at, static_cast<std::size_t>(std::min<std::uint64_t>(piece, length - at))});
  return out;
}

inline std::vector<Request> random_requests(std::uint32_t seed, std::uint64_t begin, std::uint64_t end, int count,
                                            std::size_t max_length) {
  std::mt19937_64 rng(seed);
  std::vector<Request> out;
  for (int i = 0; i < count; ++i) {
    const std::size_t length = 1 + rng() % max_length;
    const std::uint64_t offset = begin + rng() % (end - begin - length);
    out.push_back({offset, length});
  }
  return out;
}

inline Bytes random_bytes(std::mt19937_64& rng, std::size_t length) {
  Bytes out(length);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// status.txt of a mount (no device I/O: it answers while the device is away); empty if unreadable.
inline std::string read_status(const std::string& file) {
  FuseFilesScope files;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of status.txt's line `label:` (after the padding), or nullopt if the text lacks the line.
inline std::optional<std::string> status_value(const std::string& status, const std::string& label) {
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(label + ":", 0) != 0) continue;
    const auto value = line.find_first_not_of(' ', label.size() + 1);
    return value == std::string::npos ? "" : line.substr(value);
  }
  return std::nullopt;
}

// One pwrite through the mount and what became of it.
struct WriteOp {
  std::uint64_t offset;  // in the file
  Bytes data;
  int error = 0;  // errno, 0 if the whole piece was written
};

struct WriteResult {
  std::vector<WriteOp> ops;
  int open_error = 0;
  int fsync_error = -1;        // -1: not reached
  int second_fsync_error = -1;  // only after a failed fsync: retried once
  int close_error = -1;

  bool synced() const { return fsync_error == 0 || second_fsync_error == 0; }
  int first_write_error() const {
    for (const auto& op : ops)
      if (op.error) return op.error;
    return 0;
  }
};

// pwrites every op, then fsync (once more if it failed), then close.
inline WriteResult write_and_sync(const std::string& file, std::vector<WriteOp> ops) {
  FuseFilesScope files;
  WriteResult r;
  r.ops = std::move(ops);
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    r.open_error = errno;
    return r;
  }
  for (auto& op : r.ops) {
    const ssize_t n = ::pwrite(fd, op.data.data(), op.data.size(), static_cast<off_t>(op.offset));
    op.error = n < 0 ? errno : (static_cast<std::size_t>(n) == op.data.size() ? 0 : EFBIG);
  }
  r.fsync_error = ::fsync(fd) == 0 ? 0 : errno;
  if (r.fsync_error != 0) r.second_fsync_error = ::fsync(fd) == 0 ? 0 : errno;
  r.close_error = ::close(fd) == 0 ? 0 : errno;
  return r;
}

// Checks the simulator's image after a write phase on [begin, end) of the user area (file byte 0 = region
// byte `base`): bytes no op touched are the pattern; after a successful fsync every op that succeeded is
// there; any other written byte is either the pattern or one of the values written there. Returns the
// first violation, or nullopt. The ops must not overlap.
inline std::optional<std::string> check_written(const PatternDisk& disk, std::uint64_t base, std::uint64_t begin,
                                                std::uint64_t end, const WriteResult& r) {
  const Bytes image = disk.read_user(begin, static_cast<std::size_t>(end - begin));
  for (std::uint64_t at = begin; at < end; ++at) {
    const std::uint8_t got = image[at - begin];
    bool ok = got == pattern_byte(kUser, at);
    bool must_be_new = false;
    std::uint8_t promised = 0;
    for (const auto& op : r.ops) {
      const std::uint64_t first = base + op.offset;
      if (at < first || at >= first + op.data.size()) continue;
      const std::uint8_t value = op.data[at - first];
      ok = ok || got == value;
      if (op.error == 0 && r.synced()) {
        must_be_new = true;
        promised = value;  // later ops overwrite earlier ones
      }
    }
    if ((must_be_new && got != promised) || !ok) {
      std::ostringstream text;
      text << std::hex << "user area byte 0x" << at << " is 0x" << int(got);
      if (must_be_new) text << ", but a synced write put 0x" << int(promised) << " there";
      else text << ": neither the pattern nor a value written there";
      return text.str();
    }
  }
  return std::nullopt;
}

}  // namespace mtkfs::reliability
