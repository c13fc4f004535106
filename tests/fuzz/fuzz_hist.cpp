// Fuzzes the parser of tracefs `hist` output and the functions that read its entries. Property:
// what format_hist() prints from a parsed histogram parses back to the same entries.
#include <cstddef>
#include <cstdint>
#include <string>

#include "evidence/hist_format.hpp"

using namespace copylab::trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::int64_t hits = 0;
  StackHistogram h = parse_hist(text, "net:netif_receive_skb", &hits);
  (void)hist_has_chain(h, {"udp_sendmsg", "ip_finish_output2"});
  if (!h.entries.empty() && !h.entries.back().frames.empty()) {
    (void)hits_with_stack(h, {h.entries.back().frames.front()});
    (void)frame_function(h.entries.back().frames.front());
  }
  (void)to_json(h).dump();
  std::int64_t hits_again = 0;
  const StackHistogram back = parse_hist(format_hist(h), h.event, &hits_again);
  if (back.entries.size() != h.entries.size() || back.dropped != h.dropped ||
      (!h.entries.empty() && back.key_name != h.key_name)) {  // no entry prints no key
    __builtin_trap();
  }
  for (std::size_t i = 0; i < h.entries.size(); ++i) {
    const HistEntry& a = h.entries[i];
    const HistEntry& b = back.entries[i];
    if (a.frames != b.frames || a.hitcount != b.hitcount || (h.has_len && a.len != b.len)) {
      __builtin_trap();
    }
  }
  return 0;
}
