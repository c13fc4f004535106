#include "netns/discover.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "netns/command.hpp"

namespace copylab {

void discover_addresses(const std::string& ns, const std::string& dev, MacAddr& mac, Ipv4Addr& ip) {
  const auto r = run_in_netns(ns, {"ip", "-j", "addr", "show", "dev", dev});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!r.ok() || !doc.is_array() || doc.empty()) {
    throw Error("no device " + dev + " in namespace " + ns + " (" + r.last_error_line() + ")",
                "give the devices netns/setup.sh made with --dev X,Y", kExitUsage);
  }
  mac = parse_mac(doc[0].value("address", ""), "address of " + dev);
  for (const auto& a : doc[0].value("addr_info", nlohmann::json::array())) {
    if (a.value("family", "") == "inet") {
      ip = parse_ipv4(a.value("local", ""), "address of " + dev);
      return;
    }
  }
  throw Error("device " + dev + " in namespace " + ns + " has no IPv4 address",
              "run netns/setup.sh for these namespaces", kExitUsage);
}

void discover_topology_addresses(TopologyConfig& cfg) {
  discover_addresses(cfg.ns_a, cfg.dev_a, cfg.mac_a, cfg.ip_a);
  discover_addresses(cfg.ns_b, cfg.dev_b, cfg.mac_b, cfg.ip_b);
}

}  // namespace copylab
