// One error type for every user-facing failure: what went wrong (the call, the object, the errno)
// and how to fix it. Tools print it as a single line and exit non-zero.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace copylab {

class Error : public std::runtime_error {
 public:
  Error(std::string what, std::string fix = {}, int exit_code = 1)
      : std::runtime_error(std::move(what)), fix_(std::move(fix)), exit_code_(exit_code) {}

  const std::string& fix() const noexcept { return fix_; }
  int exit_code() const noexcept { return exit_code_; }
  // "what. Fix: fix" on one line.
  std::string one_line() const;

 private:
  std::string fix_;
  int exit_code_;
};

// Exit code for bad command-line input (mirrors CLI11's usage errors).
inline constexpr int kExitUsage = 2;
// Exit code for a kernel feature this machine lacks.
inline constexpr int kExitUnsupported = 3;

// "Couldn't <call> on <object>: <strerror> (errno N)". `err` is a positive errno.
[[noreturn]] void throw_errno(std::string_view call, std::string_view object, int err,
                              std::string fix = {});

std::string errno_text(int err);

}  // namespace copylab
