#include "evidence/hist_format.hpp"

#include <algorithm>
#include <sstream>

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
  out += fmt::format("# source: {}; scope: {}\n", h.source, h.scope);
  if (h.sample_every > 1)
    out += fmt::format("# sampled: the stack of 1 event in {} per CPU; hitcounts are sampled events, "
                       "not all events\n",
                       h.sample_every);
  out += "#\n\n";
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

namespace {

// The number after "<label>:" in `line` (ftrace pads it with spaces), or -1.
std::int64_t number_after(const std::string& line, const std::string& label) {
  const auto pos = line.find(label + ":");
  if (pos == std::string::npos) return -1;
  std::istringstream in(line.substr(pos + label.size() + 1));
  std::int64_t v = -1;
  return in >> v ? v : -1;
}

// `s` without leading and trailing blanks, every byte outside printable ASCII replaced by '?':
// ftrace prints kernel symbol and module names, which are ASCII, and the JSON report of a
// histogram must stay valid UTF-8 whatever the text held.
std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  std::string out = s.substr(b, s.find_last_not_of(" \t") - b + 1);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

StackHistogram parse_hist(const std::string& text, const std::string& event,
                          std::int64_t* hits_reported) {
  StackHistogram h;
  h.event = event;
  h.has_len = false;
  if (hits_reported) *hits_reported = -1;
  std::istringstream in(text);
  std::string line;
  bool in_entry = false;
  HistEntry e;
  while (std::getline(in, line)) {
    const std::string t = trimmed(line);
    if (!in_entry && t.rfind("{ ", 0) == 0 && t.back() == ':') {
      // "{ stacktrace:" / "{ common_stacktrace:"
      h.key_name = t.substr(2, t.size() - 3);
      e = HistEntry{};
      in_entry = true;
    } else if (in_entry && t.rfind("}", 0) == 0) {
      const std::int64_t hits = number_after(t, "hitcount");
      const std::int64_t len = number_after(t, "len");
      e.hitcount = hits > 0 ? static_cast<std::uint64_t>(hits) : 0;
      if (len >= 0) {
        h.has_len = true;
        e.len = static_cast<std::uint64_t>(len);
      }
      h.entries.push_back(std::move(e));
      in_entry = false;
    } else if (in_entry && !t.empty()) {
      e.frames.push_back(t);
    } else if (!in_entry && t.rfind("Hits:", 0) == 0) {
      if (hits_reported) *hits_reported = number_after(t, "Hits");
    } else if (!in_entry && t.rfind("Dropped:", 0) == 0) {
      const std::int64_t d = number_after(t, "Dropped");
      h.dropped = d > 0 ? static_cast<std::uint64_t>(d) : 0;
    }
  }
  h.source = "tracefs hist trigger";
  h.sort();
  return h;
}

std::string frame_function(const std::string& frame) {
  const auto plus = frame.find('+');
  return plus == std::string::npos ? frame : frame.substr(0, plus);
}

namespace {
// "veth_poll+0x6c/0x1ba [veth]" → "veth_poll+0x6c/0x1ba"
std::string without_module(const std::string& frame) {
  const auto space = frame.find(' ');
  return space == std::string::npos ? frame : frame.substr(0, space);
}
}  // namespace

std::uint64_t hits_with_stack(const StackHistogram& h, const std::vector<std::string>& frames) {
  if (frames.empty()) return 0;
  std::vector<std::string> want;
  for (const std::string& f : frames) want.push_back(without_module(f));
  std::uint64_t hits = 0;
  for (const HistEntry& e : h.entries) {
    std::vector<std::string> have;
    for (const std::string& f : e.frames) have.push_back(without_module(f));
    if (std::search(have.begin(), have.end(), want.begin(), want.end()) != have.end())
      hits += e.hitcount;
  }
  return hits;
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
          {"sample_every", h.sample_every}, {"entries", std::move(entries)}};
}

}  // namespace copylab::trace
