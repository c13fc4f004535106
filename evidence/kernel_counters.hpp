// The kernel's own counters for one side of an experiment, read inside its namespace: the UDP
// MIB (/proc/net/snmp), the device's link statistics and its `ethtool -S` counters. Taken
// before and after a run, their difference is an independent check of the tools' own counts.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace copylab {

// A counter the kernel printed under a name the structs below do not list (a newer kernel or
// iproute2): kept, so the report shows everything that was read.
using CounterMap = std::map<std::string, long long>;

// /proc/net/snmp "Udp:" (net/ipv4/proc.c, snmp4_udp_list); nullopt when not read.
struct UdpCounters {
  std::optional<long long> in_datagrams, no_ports, in_errors, out_datagrams, rcvbuf_errors,
      sndbuf_errors, in_csum_errors, ignored_multi, mem_errors;
  CounterMap other;
};

// `ip -s -j link` stats64 of the device, rx_* and tx_*; nullopt when not read.
struct LinkCounters {
  std::optional<long long> rx_bytes, rx_packets, rx_errors, rx_dropped, rx_over_errors,
      rx_multicast, tx_bytes, tx_packets, tx_errors, tx_dropped, tx_carrier_errors, tx_collisions;
  CounterMap other;
};

struct KernelCounters {
  UdpCounters udp;
  LinkCounters link;
  CounterMap ethtool;  // driver counters by name (veth: per-queue XDP counters), may be empty
};

// One run's change of both namespaces' counters: A (the sender's) and B (the receiver's).
struct KernelCountersDelta {
  KernelCounters a;
  KernelCounters b;
};

KernelCounters read_kernel_counters(const std::string& netns, const std::string& dev);
// `ethtool -S dev` in netns as {counter: value}; empty when ethtool fails or the driver has none.
CounterMap read_ethtool_stats(const std::string& netns, const std::string& dev);
// The parsers of the kernel's text that read_kernel_counters uses: one section of
// /proc/net/snmp ("Udp") as {name: value}, and `ethtool -S` output as {counter: value}.
CounterMap parse_snmp_section(const std::string& text, const std::string& section);
CounterMap parse_ethtool_stats(const std::string& text);
// {name: value} as the kernel names its counters ("InDatagrams", "rx_packets") into the structs.
UdpCounters udp_counters_of(const CounterMap& by_name);
LinkCounters link_counters_of(const CounterMap& by_name);

// after - before, counter by counter, for each counter read both times.
KernelCounters counters_delta(const KernelCounters& before, const KernelCounters& after);

// {udp: {...}, link: {...}, ethtool: {...}} under the kernel's names: what the report shows.
nlohmann::json to_json(const KernelCounters& k);
// {a: ..., b: ...}
nlohmann::json to_json(const KernelCountersDelta& k);

}  // namespace copylab
