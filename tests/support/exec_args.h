// The argv array execv() wants, owning its strings: argv[0] is the program path.
#pragma once

#include <string>
#include <vector>

namespace mtkfs::testing {

class ExecArgs {
 public:
  ExecArgs(const std::string& program, const std::vector<std::string>& args) : store_{program} {
    store_.insert(store_.end(), args.begin(), args.end());
    for (auto& a : store_) pointers_.push_back(a.data());
    pointers_.push_back(nullptr);
  }
  // Built before fork(): the child only reads it.
  char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> store_;
  std::vector<char*> pointers_;
};

}  // namespace mtkfs::testing
