#include "sock/buffer_addresses.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace copylab {
namespace {
std::string hex(std::uintptr_t v) {
  char buf[2 + 2 * sizeof(v) + 1];
  std::snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(v));
  return buf;
}
}  // namespace

void BufferAddressLog::record(const BufferAddressRecord& r) {
  if (!wants_more()) return;
  records_.push_back(r);
  const bool send = std::strncmp(r.call, "send", 4) == 0;
  spdlog::info("{} #{}: user buffer {} ({} bytes) before the call, {} after; {} {} bytes {} it ({})",
               r.call, r.index, hex(r.before), r.capacity, hex(r.after),
               r.result >= 0 ? "kernel copied" : "call failed,", r.result >= 0 ? r.result : 0,
               send ? "out of" : "into", send ? "COPY #1, _copy_from_iter" : "COPY #4, _copy_to_iter");
}

nlohmann::json BufferAddressLog::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const BufferAddressRecord& r : records_) {
    out.push_back({{"call", r.call},
                   {"index", r.index},
                   {"user_addr_before", hex(r.before)},
                   {"user_addr_after", hex(r.after)},
                   {"capacity", r.capacity},
                   {"bytes", r.result}});
  }
  return out;
}

}  // namespace copylab
