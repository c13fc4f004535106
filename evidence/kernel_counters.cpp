#include "evidence/kernel_counters.hpp"

#include <charconv>
#include <span>
#include <sstream>
#include <utility>
#include <vector>

#include "netns/command.hpp"

namespace copylab {

// /proc/net/snmp has pairs of lines: "Udp: Name1 Name2 ..." then "Udp: v1 v2 ...".
CounterMap parse_snmp_section(const std::string& text, const std::string& section) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> names;
  CounterMap out;
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

CounterMap parse_ethtool_stats(const std::string& text) {
  CounterMap out;
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

// A struct's counters and the names the kernel prints them under.
template <class T>
using Named = std::pair<const char*, std::optional<long long> T::*>;

constexpr Named<UdpCounters> kUdpNames[] = {
    {"InDatagrams", &UdpCounters::in_datagrams},   {"NoPorts", &UdpCounters::no_ports},
    {"InErrors", &UdpCounters::in_errors},         {"OutDatagrams", &UdpCounters::out_datagrams},
    {"RcvbufErrors", &UdpCounters::rcvbuf_errors}, {"SndbufErrors", &UdpCounters::sndbuf_errors},
    {"InCsumErrors", &UdpCounters::in_csum_errors}, {"IgnoredMulti", &UdpCounters::ignored_multi},
    {"MemErrors", &UdpCounters::mem_errors}};

constexpr Named<LinkCounters> kLinkNames[] = {
    {"rx_bytes", &LinkCounters::rx_bytes},
    {"rx_packets", &LinkCounters::rx_packets},
    {"rx_errors", &LinkCounters::rx_errors},
    {"rx_dropped", &LinkCounters::rx_dropped},
    {"rx_over_errors", &LinkCounters::rx_over_errors},
    {"rx_multicast", &LinkCounters::rx_multicast},
    {"tx_bytes", &LinkCounters::tx_bytes},
    {"tx_packets", &LinkCounters::tx_packets},
    {"tx_errors", &LinkCounters::tx_errors},
    {"tx_dropped", &LinkCounters::tx_dropped},
    {"tx_carrier_errors", &LinkCounters::tx_carrier_errors},
    {"tx_collisions", &LinkCounters::tx_collisions}};

template <class T>
T from_names(const CounterMap& by_name, std::span<const Named<T>> names) {
  T out;
  out.other = by_name;
  for (const auto& [name, field] : names) {
    if (const auto it = out.other.find(name); it != out.other.end()) {
      out.*field = it->second;
      out.other.erase(it);
    }
  }
  return out;
}

template <class T>
CounterMap to_names(const T& counters, std::span<const Named<T>> names) {
  CounterMap out = counters.other;
  for (const auto& [name, field] : names) {
    if (const auto& v = counters.*field) out[name] = *v;
  }
  return out;
}

// after - before for each counter in both.
CounterMap delta(const CounterMap& before, const CounterMap& after) {
  CounterMap out;
  for (const auto& [name, value] : after) {
    if (const auto it = before.find(name); it != before.end()) out[name] = value - it->second;
  }
  return out;
}

nlohmann::json to_json(const CounterMap& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : m) out[name] = value;
  return out;
}

}  // namespace

UdpCounters udp_counters_of(const CounterMap& by_name) {
  return from_names<UdpCounters>(by_name, kUdpNames);
}

LinkCounters link_counters_of(const CounterMap& by_name) {
  return from_names<LinkCounters>(by_name, kLinkNames);
}

KernelCounters read_kernel_counters(const std::string& netns, const std::string& dev) {
  KernelCounters k;
  const auto snmp = run_in_netns(netns, {"cat", "/proc/net/snmp"});
  if (snmp.ok()) k.udp = udp_counters_of(parse_snmp_section(snmp.out, "Udp"));
  const auto link = run_in_netns(netns, {"ip", "-s", "-j", "link", "show", "dev", dev});
  if (link.ok()) {
    CounterMap by_name;
    const auto doc = nlohmann::json::parse(link.out, nullptr, false);
    if (doc.is_array() && !doc.empty() && doc[0].contains("stats64")) {
      for (const char* dir : {"rx", "tx"}) {
        for (auto it = doc[0]["stats64"][dir].begin(); it != doc[0]["stats64"][dir].end(); ++it) {
          if (it->is_number_integer()) {
            by_name[std::string(dir) + "_" + it.key()] = it->get<long long>();
          }
        }
      }
    }
    k.link = link_counters_of(by_name);
  }
  k.ethtool = read_ethtool_stats(netns, dev);
  return k;
}

CounterMap read_ethtool_stats(const std::string& netns, const std::string& dev) {
  const auto eth = run_in_netns(netns, {"ethtool", "-S", dev});
  return eth.ok() ? parse_ethtool_stats(eth.out) : CounterMap{};
}

KernelCounters counters_delta(const KernelCounters& before, const KernelCounters& after) {
  return {udp_counters_of(delta(to_names<UdpCounters>(before.udp, kUdpNames),
                                to_names<UdpCounters>(after.udp, kUdpNames))),
          link_counters_of(delta(to_names<LinkCounters>(before.link, kLinkNames),
                                 to_names<LinkCounters>(after.link, kLinkNames))),
          delta(before.ethtool, after.ethtool)};
}

nlohmann::json to_json(const KernelCounters& k) {
  return {{"udp", to_json(to_names<UdpCounters>(k.udp, kUdpNames))},
          {"link", to_json(to_names<LinkCounters>(k.link, kLinkNames))},
          {"ethtool", to_json(k.ethtool)}};
}

nlohmann::json to_json(const KernelCountersDelta& k) {
  return {{"a", to_json(k.a)}, {"b", to_json(k.b)}};
}

}  // namespace copylab
