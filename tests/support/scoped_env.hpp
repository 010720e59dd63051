#pragma once
// An environment variable set for one scope and restored after (tests that change what the host
// reads from the environment: DFKD_DATA, DFKD_PLUGIN_PATH).
#include <cstdlib>
#include <optional>
#include <string>

namespace dfkd::test_support {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace dfkd::test_support
