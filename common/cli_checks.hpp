// The checks behind copylab's option values, as plain functions that throw Error(kExitUsage)
// with one line naming the option, the value, the accepted range and the fix: numbers in a range,
// CPUs this process may use, writable output paths, free UDP ports. cli/option_checks attaches
// them to command-line options, so every value is checked once, where it enters.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace copylab {

// Largest frame/ping count any tool accepts: far beyond a day at line rate, far below a wrap.
inline constexpr std::uint64_t kMaxCount = 1'000'000'000'000ULL;
// Largest number of seconds any duration/timeout option accepts (one week).
inline constexpr double kMaxSeconds = 7 * 24 * 3600.0;

namespace detail {
// Checks `text` is a whole decimal number (`integral`) or a finite number within lo..hi and
// rewrites it in canonical form (so an option parser reads exactly what was checked: no octal
// "010", no wrap of "-5" into an unsigned). Throws Error(kExitUsage) naming `option`:
// "--dst-port 70000 is outside 1..65535".
void check_number(const std::string& option, std::string& text, bool integral, long double lo,
                  long double hi, const std::string& lo_text, const std::string& hi_text);
std::string number_text(long double v, bool integral);
}  // namespace detail

// Output paths, checked before a run makes anything. Throw Error(kExitUsage) naming `label` (the
// option or what the path is for).
// A file to write at the end of the run: not a directory, in an existing directory that accepts
// a new file (probed without leaving anything behind), or an existing file that can be opened
// for writing.
void check_output_file(const std::string& label, const std::string& path);
// A directory to write into: an existing writable directory, or a path whose nearest existing
// ancestor is a writable directory (the run creates it, not the check).
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
