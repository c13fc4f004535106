// What belongs to an experiment: the cross-check counts only events of these namespaces,
// processes, devices and ports (all given sets must match: they are ANDed).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace copylab::trace {

struct ScopeSpec {
  // Network namespaces by inode number (netns_inode()). Socket events match on the socket's
  // netns, device events (net_dev_*, netif_receive_skb, xdp_redirect, skb frees) on the device's.
  std::vector<std::uint32_t> netns_inums;
  // Processes (tgids). With follow_forks, children forked while the cross-check runs join the
  // set and leave it when they exit (what enable_hist/disable_hist triggers on exec/exit do for a hist).
  std::vector<pid_t> pids;
  bool follow_forks = true;
  // Devices (ifindex in their own netns; use together with netns_inums).
  std::vector<int> ifindexes;
  // UDP/TCP ports (local or remote) for socket events.
  std::vector<std::uint16_t> ports;

  bool empty() const {
    return netns_inums.empty() && pids.empty() && ifindexes.empty() && ports.empty();
  }
  // One line for reports: how events were attributed.
  std::string describe() const;
};

nlohmann::json to_json(const ScopeSpec& s);

// Inode number of a network namespace file: "/run/netns/<name>", "/proc/<pid>/ns/net", ...
// Throws copylab::Error naming the path.
std::uint32_t netns_inode(const std::string& path);
// Inode of a named namespace made by `ip netns add` (or netns/setup.sh).
std::uint32_t named_netns_inode(const std::string& name);
// Inode of the calling thread's network namespace.
std::uint32_t current_netns_inode();

}  // namespace copylab::trace
