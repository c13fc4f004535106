#include "common/log.hpp"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace copylab {
namespace {
int g_verbosity = 0;

std::string format_va(const char* fmt, va_list args) {
  char buf[1024];
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  std::string s = buf;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// libbpf and libxdp start most messages with their own name ("libbpf: " from pr_warn and friends
// in tools/lib/bpf/libbpf_internal.h): drop it so each line carries the name once.
std::string without_prefix(std::string msg, std::string_view prefix) {
  if (msg.starts_with(prefix)) msg.erase(0, prefix.size());
  return msg;
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (g_verbosity < 2) return 0;
  const std::string msg = without_prefix(format_va(fmt, args), "libbpf: ");
  if (level == LIBBPF_WARN) {
    spdlog::debug("libbpf: {}", msg);
  } else {
    spdlog::trace("libbpf: {}", msg);
  }
  return 0;
}

int libxdp_print(enum libxdp_print_level level, const char* fmt, va_list args) {
  if (g_verbosity < 2) return 0;
  const std::string msg = without_prefix(format_va(fmt, args), "libxdp: ");
  if (level == LIBXDP_WARN) {
    spdlog::debug("libxdp: {}", msg);
  } else {
    spdlog::trace("libxdp: {}", msg);
  }
  return 0;
}
}  // namespace

void setup_logging(int verbosity) {
  g_verbosity = verbosity;
  auto logger = spdlog::stderr_color_mt("copylab");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity >= 2   ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
  libbpf_set_print(libbpf_print);
  libxdp_set_print(libxdp_print);
}

int log_verbosity() noexcept { return g_verbosity; }

}  // namespace copylab
