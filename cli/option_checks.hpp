// copylab's value checks (common/cli_checks) attached to CLI11 options: a bad number, CPU or
// output path ends the program during parsing (before any namespace, XDP program or frame
// exists) with one line naming the option, the value, the accepted range and the fix
// (OptionError, exit 2).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <type_traits>

#include "common/cli_checks.hpp"
#include "common/error.hpp"

namespace copylab {

// A bad option value found while parsing: a CLI::ParseError (so callers of parse() see a usage
// error, exit 2) carrying copylab's one-line message and fix, which run_main prints as is.
class OptionError : public CLI::ParseError {
 public:
  // (Qualified: inside a CLI::Error subclass, plain `Error` names CLI::Error.)
  explicit OptionError(const copylab::Error& e)
      : CLI::ParseError("OptionError", e.one_line(), kExitUsage), error_(e) {}
  const copylab::Error& error() const noexcept { return error_; }

 private:
  copylab::Error error_;
};

namespace detail {
// Runs a check that throws copylab::Error; rethrows it as OptionError.
template <typename F>
std::string as_option_error(F&& check) {
  try {
    check();
  } catch (const Error& e) {
    throw OptionError(e);
  }
  return {};
}
}  // namespace detail

// The option's value must lie within lo..hi (inclusive). For an integer option, only a whole
// decimal number is accepted: "-5" for a count is refused instead of wrapping to 2^64-5.
// Error text: "--dst-port 70000 is outside 1..65535".
template <typename T>
CLI::Option* in_range(CLI::Option* opt, T lo, T hi) {
  static_assert(std::is_arithmetic_v<T>);
  constexpr bool integral = std::is_integral_v<T>;
  const std::string name = opt->get_name();
  const auto lo_l = static_cast<long double>(lo);
  const auto hi_l = static_cast<long double>(hi);
  const std::string lo_text = detail::number_text(lo_l, integral);
  const std::string hi_text = detail::number_text(hi_l, integral);
  return opt->transform(
      CLI::Validator(
          [=](std::string& text) -> std::string {
            return detail::as_option_error(
                [&] { detail::check_number(name, text, integral, lo_l, hi_l, lo_text, hi_text); });
          },
          lo_text + ".." + hi_text, "range"),
      /*name=*/"");
}

// The option names a CPU to run on: one this process may run on (online and in its affinity
// mask). `allow_unpinned`: -1 ("don't pin") is accepted too.
CLI::Option* online_cpu(CLI::Option* opt, bool allow_unpinned = false);

// The option names a file to write at the end of the run (check_output_file).
CLI::Option* output_file(CLI::Option* opt);

// The option names a directory to write into (check_output_dir).
CLI::Option* output_dir(CLI::Option* opt);

}  // namespace copylab
