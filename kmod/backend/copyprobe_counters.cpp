#include "kmod/backend/copyprobe_counters.hpp"

#include <charconv>
#include <map>

#include "common/error.hpp"

namespace copylab::kmod {
namespace {

constexpr std::string_view kHeader = "# copyprobe ";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = s.find(sep);
    if (!s.substr(0, at).empty()) out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

Error bad_line(std::string_view line, const std::string& why) {
  return Error("/proc/copyprobe: " + why + " in line '" + std::string(line.substr(0, 120)) + "'",
               "load a copyprobe.ko built from this copylab's kmod/ sources");
}

std::uint64_t number(std::string_view line, std::string_view key, std::string_view value) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size())
    throw bad_line(line, "'" + std::string(key) + "' is not a number");
  return v;
}

// "200:1000,242:0" or "-" (empty table).
std::vector<std::pair<std::uint64_t, std::uint64_t>> parse_lens(std::string_view line,
                                                                std::string_view value) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lens;
  if (value == "-") return lens;
  for (std::string_view item : split(value, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) throw bad_line(line, "'lens' entry without ':'");
    lens.emplace_back(number(line, "lens", item.substr(0, colon)),
                      number(line, "lens", item.substr(colon + 1)));
  }
  return lens;
}

SiteCounters parse_site(std::string_view line) {
  std::map<std::string_view, std::string_view> kv;
  for (std::string_view field : split(line, ' ')) {
    const auto eq = field.find('=');
    if (eq == std::string_view::npos)
      throw bad_line(line, "field '" + std::string(field) + "' has no '='");
    kv[field.substr(0, eq)] = field.substr(eq + 1);
  }
  const auto need = [&](std::string_view key) {
    const auto it = kv.find(key);
    if (it == kv.end()) throw bad_line(line, "no '" + std::string(key) + "='");
    return it->second;
  };
  SiteCounters s;
  s.site = need("site");
  s.symbol = need("symbol");
  s.scope = need("scope");
  s.state = need("state");
  s.calls = number(line, "calls", need("calls"));
  s.hits = number(line, "hits", need("hits"));
  s.bytes = number(line, "bytes", need("bytes"));
  s.printed = number(line, "printed", need("printed"));
  s.suppressed = number(line, "suppressed", need("suppressed"));
  s.nmissed = number(line, "nmissed", need("nmissed"));
  s.lens = parse_lens(line, need("lens"));
  s.lens_other = number(line, "lens_other", need("lens_other"));
  return s;
}

}  // namespace

std::optional<std::uint64_t> SiteCounters::hits_of_len(std::uint64_t len) const {
  for (const auto& [l, n] : lens)
    if (l == len) return n;
  if (lens_other == 0) return 0;
  return std::nullopt;
}

const SiteCounters* CopyprobeCounters::site(std::string_view name) const {
  for (const SiteCounters& s : sites)
    if (s.site == name) return &s;
  return nullptr;
}

CopyprobeCounters parse_copyprobe_counters(std::string_view text) {
  CopyprobeCounters c;
  bool header = false;
  for (std::string_view line : split(text, '\n')) {
    line = trim(line);
    if (line.empty()) continue;
    if (line.substr(0, kHeader.size()) == kHeader) {
      c.filter = std::string(line.substr(kHeader.size()));
      header = true;
      continue;
    }
    if (line.substr(0, 5) != "site=") throw bad_line(line, "unexpected line");
    c.sites.push_back(parse_site(line));
  }
  if (!header || c.sites.empty())
    throw Error("/proc/copyprobe has no '# copyprobe' header or no site lines",
                "load a copyprobe.ko built from this copylab's kmod/ sources");
  return c;
}

nlohmann::json to_json(const CopyprobeCounters& c) {
  nlohmann::json sites = nlohmann::json::array();
  for (const SiteCounters& s : c.sites) {
    nlohmann::json lens = nlohmann::json::array();
    for (const auto& [len, n] : s.lens) lens.push_back({len, n});
    sites.push_back({{"site", s.site},
                     {"symbol", s.symbol},
                     {"scope", s.scope},
                     {"state", s.state},
                     {"calls", s.calls},
                     {"hits", s.hits},
                     {"bytes", s.bytes},
                     {"printed", s.printed},
                     {"suppressed", s.suppressed},
                     {"nmissed", s.nmissed},
                     {"lens", lens},
                     {"lens_other", s.lens_other}});
  }
  return {{"filter", c.filter}, {"sites", sites}};
}

}  // namespace copylab::kmod
