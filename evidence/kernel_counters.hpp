// The kernel's own counters for one side of an experiment, read inside its namespace: the UDP
// MIB (/proc/net/snmp), the device's link statistics and its `ethtool -S` counters. Taken
// before and after a run, their difference is an independent check of the tools' own counts.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace copylab {

struct KernelCounters {
  nlohmann::json udp;      // Udp: InDatagrams, NoPorts, InErrors, RcvbufErrors, ...
  nlohmann::json link;     // rx/tx packets, bytes, dropped (ip -s link)
  nlohmann::json ethtool;  // driver counters (veth: per-queue XDP counters), may be empty
};

KernelCounters read_kernel_counters(const std::string& netns, const std::string& dev);
// The parsers of the kernel's text that read_kernel_counters uses: one section of
// /proc/net/snmp ("Udp") as {name: value}, and `ethtool -S` output as {counter: value}.
nlohmann::json parse_snmp_section(const std::string& text, const std::string& section);
nlohmann::json parse_ethtool_stats(const std::string& text);

// after - before, key by key, for every numeric leaf.
nlohmann::json counters_delta(const KernelCounters& before, const KernelCounters& after);

}  // namespace copylab
