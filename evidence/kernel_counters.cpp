#include "evidence/kernel_counters.hpp"

#include <charconv>
#include <sstream>
#include <vector>

#include "netns/command.hpp"

namespace copylab {

// /proc/net/snmp has pairs of lines: "Udp: Name1 Name2 ..." then "Udp: v1 v2 ...".
nlohmann::json parse_snmp_section(const std::string& text, const std::string& section) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> names;
  nlohmann::json out = nlohmann::json::object();
  const std::string prefix = section + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    std::vector<std::string> cols;
    for (std::string f; fields >> f;) cols.push_back(f);
    if (names.empty()) {
      names = cols;
      continue;
    }
    for (std::size_t i = 0; i < cols.size() && i < names.size(); ++i) {
      long long v = 0;
      const char* end = cols[i].data() + cols[i].size();
      const auto [ptr, ec] = std::from_chars(cols[i].data(), end, v);
      if (ec == std::errc() && ptr == end) out[names[i]] = v;  // a non-number is left out
    }
    break;
  }
  return out;
}

nlohmann::json parse_ethtool_stats(const std::string& text) {
  nlohmann::json out = nlohmann::json::object();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(0, key.find_first_not_of(" \t"));
    const std::string value = line.substr(colon + 1);
    if (key.empty() || value.find_first_of("0123456789") == std::string::npos) continue;
    try {
      out[key] = std::stoll(value);
    } catch (const std::exception&) {
      // "NIC statistics:" header and other non-numeric lines
    }
  }
  return out;
}

namespace {

nlohmann::json delta(const nlohmann::json& before, const nlohmann::json& after) {
  nlohmann::json out = nlohmann::json::object();
  if (!after.is_object()) return out;
  for (auto it = after.begin(); it != after.end(); ++it) {
    if (!before.contains(it.key())) continue;
    const auto& b = before.at(it.key());
    if (it->is_object()) {
      out[it.key()] = delta(b, *it);
    } else if (it->is_number_integer() && b.is_number_integer()) {
      out[it.key()] = it->get<long long>() - b.get<long long>();
    }
  }
  return out;
}

}  // namespace

KernelCounters read_kernel_counters(const std::string& netns, const std::string& dev) {
  KernelCounters k;
  const auto snmp = run_in_netns(netns, {"cat", "/proc/net/snmp"});
  k.udp = snmp.ok() ? parse_snmp_section(snmp.out, "Udp") : nlohmann::json::object();
  const auto link = run_in_netns(netns, {"ip", "-s", "-j", "link", "show", "dev", dev});
  k.link = nlohmann::json::object();
  if (link.ok()) {
    const auto doc = nlohmann::json::parse(link.out, nullptr, false);
    if (doc.is_array() && !doc.empty() && doc[0].contains("stats64")) {
      for (const char* dir : {"rx", "tx"}) {
        for (auto it = doc[0]["stats64"][dir].begin(); it != doc[0]["stats64"][dir].end(); ++it) {
          if (it->is_number_integer()) k.link[std::string(dir) + "_" + it.key()] = *it;
        }
      }
    }
  }
  const auto eth = run_in_netns(netns, {"ethtool", "-S", dev});
  k.ethtool = eth.ok() ? parse_ethtool_stats(eth.out) : nlohmann::json::object();
  return k;
}

nlohmann::json counters_delta(const KernelCounters& before, const KernelCounters& after) {
  return {{"udp", delta(before.udp, after.udp)},
          {"link", delta(before.link, after.link)},
          {"ethtool", delta(before.ethtool, after.ethtool)}};
}

}  // namespace copylab
