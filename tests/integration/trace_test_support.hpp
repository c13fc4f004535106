// Helpers shared by the trace integration tests: UDP traffic between two namespaces through the
// socket datapath, the namespace's UDP MIB counters, and the BPF objects a process holds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>

#include "netns/topology.hpp"

namespace copylab::trace::testing {

struct UdpRun {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t send_calls = 0;
  double seconds = 0;  // first send to last datagram received
};

// Sends `count` 64-byte datagrams from ns_a to a receiver in ns_b (SocketDatapath, `batch`
// datagrams per syscall), bounded by count and by 20 s. The sender keeps at most 1024 datagrams
// ahead of the receiver's count (what its socket buffer holds), and the receiver runs until it
// has every datagram the sender reports sent (a handshake, not a period of silence) or 20 s.
UdpRun run_udp(const TopologyConfig& t, std::uint64_t count, unsigned batch);

// The same over AF_XDP: TX-only XSK on dev_a → steering program + XSK on dev_b in `mode`
// ("native" / "generic"). `mode_json` gets the receiver's mode() as read back from the kernel.
struct XskRun {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::string xdp_attach;  // "native" / "generic", read back
  std::string bind;        // "copy" / "zero-copy", read back
  double seconds = 0;      // first send to last frame received
};
XskRun run_af_xdp(const TopologyConfig& t, std::uint64_t count, bool native);

// "Udp: InDatagrams/OutDatagrams" of namespace `ns` (/proc/thread-self/net/snmp inside it).
struct UdpMib {
  std::uint64_t in_datagrams = 0;
  std::uint64_t out_datagrams = 0;
};
UdpMib read_udp_mib(const std::string& ns);

// BPF program and link ids held open by process `pid` (from /proc/<pid>/fdinfo).
struct BpfIds {
  std::set<std::uint32_t> progs;
  std::set<std::uint32_t> links;
};
BpfIds bpf_ids_of(pid_t pid);
// True if a program / link with this id still exists in the kernel.
bool bpf_prog_exists(std::uint32_t id);
bool bpf_link_exists(std::uint32_t id);
// Number of perf events this process has open.
int perf_event_fds_of(pid_t pid);
// tracefs instances named copylab-<pid>-* (0 when tracefs is not mounted).
int tracefs_instances_of(pid_t pid);

}  // namespace copylab::trace::testing
