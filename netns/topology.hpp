// The experiment's topology as an RAII object: two network namespaces joined by a veth pair (or
// three, A -> M -> B, joined by two: a middle box between A and B), made
// by running netns/setup.sh and removed by netns/teardown.sh (so every test exercises the
// scripts). Tests and `copylab compare` use create_unique(); --netns reuses existing ones (adopt).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/run_registry.hpp"
#include "netns/topology_defaults.hpp"
#include "packet/addr.hpp"

namespace copylab {

struct TopologyConfig {
  std::string ns_a = topology_defaults::kNsA;
  std::string ns_b = topology_defaults::kNsB;
  std::string dev_a = topology_defaults::kDevA;
  std::string dev_b = topology_defaults::kDevB;
  MacAddr mac_a = parse_mac(topology_defaults::kMacA);
  MacAddr mac_b = parse_mac(topology_defaults::kMacB);
  Ipv4Addr ip_a = parse_ipv4(topology_defaults::kIpA);
  Ipv4Addr ip_b = parse_ipv4(topology_defaults::kIpB);
  int prefix = topology_defaults::kPrefixLen;
  // TX checksum offload on both veth ends: "keep" (the kernel's default, on), "on" or "off"
  // (full checksums in frames from socket senders; see netns/setup.sh --help).
  std::string tx_csum = "keep";
  // Three namespaces when set (setup.sh --ns-m): A's device is the peer of M's ingress device
  // dev_ma, B's the peer of M's egress device dev_mb. A and B keep their addresses and reach
  // each other only through a forwarder in M (see netns/setup.sh --help).
  std::string ns_m;
  std::string dev_ma = topology_defaults::kDevMa;
  std::string dev_mb = topology_defaults::kDevMb;
  MacAddr mac_ma = parse_mac(topology_defaults::kMacMa);
  MacAddr mac_mb = parse_mac(topology_defaults::kMacMb);
  Ipv4Addr ip_ma = parse_ipv4(topology_defaults::kIpMa);
  Ipv4Addr ip_mb = parse_ipv4(topology_defaults::kIpMb);

  bool has_middle() const noexcept { return !ns_m.empty(); }
};

// The script's command line for a config: --ns-a .. --prefix .. (the same for setup and teardown).
std::vector<std::string> topology_script_args(const TopologyConfig& cfg);
// Names unique to this process and call (pid + counter; device names fit IFNAMSIZ): namespaces
// "cl-<tag>-<pid>-<n>a"/"...b", devices "c<pid>x<n>a"/"...b"; default addresses.
TopologyConfig unique_topology_config(std::string_view tag);
// The same with a middle namespace "...m" and M's devices "c<pid>x<n>m" (ingress, A's peer) and
// "c<pid>x<n>n" (egress, B's peer): A -> M -> B.
TopologyConfig unique_forward_topology_config(std::string_view tag);
// Where netns/setup.sh and netns/teardown.sh are: $COPYLAB_NETNS_DIR if set, else the source tree.
std::string netns_script_dir();

class Topology {
 public:
  // Runs setup.sh for `cfg`. Refuses (Error) if either namespace already exists, so the
  // destructor can remove exactly what this object made.
  static Topology create(const TopologyConfig& cfg);
  // create(unique_topology_config(tag)). Addresses stay 10.0.0.1/2: each pair lives in its own
  // namespaces.
  static Topology create_unique(std::string_view tag);
  // create(unique_forward_topology_config(tag)).
  static Topology create_unique_forward(std::string_view tag);
  // Uses namespaces someone else made (e.g. `sudo netns/setup.sh`): checks that both namespaces
  // and devices exist, and never deletes anything.
  static Topology adopt(const TopologyConfig& cfg);

  Topology(Topology&& other) noexcept;
  Topology& operator=(Topology&& other) noexcept;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  ~Topology();

  const TopologyConfig& config() const noexcept { return cfg_; }
  bool owned() const noexcept { return owned_; }
  // Removes the topology now (owned ones only); throws Error if teardown.sh fails. The
  // destructor does the same but only logs failures.
  void destroy();

 private:
  Topology(TopologyConfig cfg, bool owned) : cfg_(std::move(cfg)), owned_(owned) {}
  TopologyConfig cfg_;
  bool owned_ = false;
  OwnedState record_;  // owned namespaces in this run's record, from before setup.sh runs
};

}  // namespace copylab
