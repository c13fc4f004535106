// Checks attached to command-line options, so every value is validated once, where it enters:
// a bad number, CPU or output path ends the program during parsing (before any namespace, XDP
// program or frame exists) with one line naming the option, the value, the accepted range and
// the fix (OptionError, exit 2).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "common/error.hpp"

namespace copylab {

// Largest frame/ping count any tool accepts: far beyond a day at line rate, far below a wrap.
inline constexpr std::uint64_t kMaxCount = 1'000'000'000'000ULL;
// Largest number of seconds any duration/timeout option accepts (one week).
inline constexpr double kMaxSeconds = 7 * 24 * 3600.0;

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

// Checks `text` is a whole decimal number (`integral`) or a finite number within lo..hi and
// rewrites it in canonical form (so CLI11's own conversion reads exactly what was checked:
// no octal "010", no wrap of "-5" into an unsigned). Throws Error naming `option`.
void check_number(const std::string& option, std::string& text, bool integral, long double lo,
                  long double hi, const std::string& lo_text, const std::string& hi_text);
std::string number_text(long double v, bool integral);
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

// The option names a file to write at the end of the run: not a directory, in an existing
// directory that accepts a new file (probed without leaving anything behind), or an existing
// file that can be opened for writing.
CLI::Option* output_file(CLI::Option* opt);

// The option names a directory to write into: an existing writable directory, or a path whose
// nearest existing ancestor is a writable directory (the run creates it, not the check).
CLI::Option* output_dir(CLI::Option* opt);

// The same checks for paths that do not come from an option (e.g. a fallback location).
// Throw Error(kExitUsage) naming `label` (the option or what the path is for).
void check_output_file(const std::string& label, const std::string& path);
void check_output_dir(const std::string& label, const std::string& path);

// Nothing in the calling thread's network namespace (`ns` names it in the message) holds UDP
// `port`: probed by binding it on INADDR_ANY and closing at once, before a run builds anything
// that would otherwise fail on it later. Throws Error(kExitUsage) "UDP port P in namespace N is
// not free: EADDRINUSE ..." whose fix names `ss` and then `alternative` when given (e.g. "pick
// another --dst-port").
void require_udp_port_free(const std::string& ns, std::uint16_t port,
                           const std::string& alternative = "");

// The CPUs this process may run on, as "0-1" / "0,2-3" (for messages).
std::string usable_cpus_text();
bool cpu_usable(int cpu);
// Throws Error(kExitUsage) "<option> N: no such CPU for this process ..." unless `cpu` is usable.
void require_usable_cpu(const std::string& option, int cpu, bool allow_unpinned = false);

}  // namespace copylab
