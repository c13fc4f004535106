#include "trace/hist_format.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace copylab::trace {

std::uint64_t StackHistogram::total_hits() const {
  std::uint64_t n = 0;
  for (const HistEntry& e : entries) n += e.hitcount;
  return n;
}

void StackHistogram::sort() {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const HistEntry& a, const HistEntry& b) { return a.hitcount < b.hitcount; });
}

std::string format_hist(const StackHistogram& h) {
  std::string out;
  const std::string vals = h.has_len ? "hitcount,len" : "hitcount";
  out += fmt::format("# event histogram\n#\n# trigger info: hist:keys={}:vals={}:sort=hitcount [{}]\n",
                     h.key_name, vals, h.event);
  out += fmt::format("# source: {}; scope: {}\n#\n\n", h.source, h.scope);
  for (const HistEntry& e : h.entries) {
    out += fmt::format("{{ {}:\n", h.key_name);
    // ftrace indents each frame by 1 + 8 spaces (hist_trigger_stacktrace_print).
    for (const std::string& f : e.frames) out += fmt::format("         {}\n", f);
    out += fmt::format("}} hitcount: {:>10}", e.hitcount);
    if (h.has_len) out += fmt::format("  len: {:>10}", e.len);
    out += '\n';
  }
  out += fmt::format("\nTotals:\n    Hits: {}\n    Entries: {}\n    Dropped: {}\n", h.total_hits(),
                     h.entries.size(), h.dropped);
  return out;
}

std::string frame_function(const std::string& frame) {
  const auto plus = frame.find('+');
  return plus == std::string::npos ? frame : frame.substr(0, plus);
}

bool hist_has_chain(const StackHistogram& h, const std::vector<std::string>& chain) {
  for (const HistEntry& e : h.entries) {
    std::size_t want = 0;
    for (const std::string& f : e.frames) {
      if (want < chain.size() && frame_function(f) == chain[want]) ++want;
    }
    if (want == chain.size()) return true;
  }
  return false;
}

nlohmann::json to_json(const StackHistogram& h) {
  nlohmann::json entries = nlohmann::json::array();
  for (const HistEntry& e : h.entries) {
    nlohmann::json j = {{"frames", e.frames}, {"hitcount", e.hitcount}};
    if (h.has_len) j["len"] = e.len;
    entries.push_back(std::move(j));
  }
  return {{"event", h.event},           {"key", h.key_name},
          {"source", h.source},         {"scope", h.scope},
          {"hits", h.total_hits()},     {"dropped", h.dropped},
          {"entries", std::move(entries)}};
}

}  // namespace copylab::trace
