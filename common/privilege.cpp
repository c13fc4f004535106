#include "common/privilege.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace copylab {
namespace {

int cap_number(Privilege p) {
  switch (p) {
    case Privilege::kNetAdmin: return CAP_NET_ADMIN;
    case Privilege::kBpf: return 39;      // CAP_BPF (5.8+); older headers lack the name
    case Privilege::kPerfmon: return 38;  // CAP_PERFMON
    case Privilege::kSysAdmin: return CAP_SYS_ADMIN;
    case Privilege::kNetRaw: return CAP_NET_RAW;
    case Privilege::kSysModule: return CAP_SYS_MODULE;
  }
  return CAP_SYS_ADMIN;
}

const char* cap_name(Privilege p) {
  switch (p) {
    case Privilege::kNetAdmin: return "CAP_NET_ADMIN";
    case Privilege::kBpf: return "CAP_BPF";
    case Privilege::kPerfmon: return "CAP_PERFMON";
    case Privilege::kSysAdmin: return "CAP_SYS_ADMIN";
    case Privilege::kNetRaw: return "CAP_NET_RAW";
    case Privilege::kSysModule: return "CAP_SYS_MODULE";
  }
  return "?";
}

bool effective_has(int cap) {
  __user_cap_header_struct hdr{};
  __user_cap_data_struct data[2]{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  const auto word = static_cast<unsigned>(cap / 32);
  const std::uint32_t bit = 1U << (cap % 32);
  return (data[word].effective & bit) != 0;
}

}  // namespace

bool has_capability(Privilege p) {
  const int cap = cap_number(p);
  if (effective_has(cap)) return true;
  // CAP_BPF and CAP_PERFMON are split out of CAP_SYS_ADMIN, which still implies them.
  if (p == Privilege::kBpf || p == Privilege::kPerfmon) return effective_has(CAP_SYS_ADMIN);
  return false;
}

void require_capability(Privilege p, std::string_view why) {
  if (has_capability(p)) return;
  throw Error(std::string("missing ") + cap_name(p) + ", needed to " + std::string(why),
              "run as root (sudo), or grant the capability (setcap " +
                  std::string(cap_name(p)) + "+ep on the binary)",
              1);
}

}  // namespace copylab
