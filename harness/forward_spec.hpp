// What `copylab forward` runs: the same traffic as compare (xdp_sender in A, sock_receiver in B)
// through a middle box M on the three-namespace topology, once per forwarder in M.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/compare_spec.hpp"
#include "latency/options.hpp"

namespace copylab {

// The socket relay (sock_forwarder) and the shared-UMEM AF_XDP forwarder (xdp_forwarder) with
// its steering program attached natively or generically.
enum class ForwarderKind { kRelay, kXskNative, kXskGeneric };

// "relay", "xsk_native", "xsk_generic": the id in the JSON and the report.
const char* to_string(ForwarderKind k) noexcept;
// sock_forwarder or xdp_forwarder.
const char* forwarder_tool(ForwarderKind k) noexcept;
// Parses one id; Error (kExitUsage) naming the choices otherwise.
ForwarderKind parse_forwarder_kind(const std::string& s);
bool is_xsk(ForwarderKind k) noexcept;

// M's forwarder runs SCHED_FIFO at this priority unless told otherwise (both forwarders alike):
// as SCHED_OTHER, CPU-bound tasks on its CPU (compiles, a VM) delay it after each wakeup long
// enough for its ingress to fill while the paced phase runs (the AF_XDP forwarder's RX ring holds
// 164 ms at 50,000 frames/s). Measured with 1,000,000 paced frames at 50,000/s next to a qemu
// guest and compiles (load average 6-9, copylab at nice 10): as SCHED_OTHER the relay lost
// 358,704 in M and the native forwarder 44,480 (RX ring full, backlog high-water mark 8032 of
// 8192); as SCHED_FIFO 10 neither lost one (backlog high-water mark 861).
inline constexpr int kDefaultForwarderFifo = 10;

struct ForwardOptions {
  // The traffic, the phases, the sender's and receiver's CPUs, the work directory and the
  // backend, as compare takes them (netns/devs and the pairs are not used).
  CompareOptions traffic;
  std::vector<ForwarderKind> forwarders{ForwarderKind::kRelay, ForwarderKind::kXskNative,
                                        ForwarderKind::kXskGeneric};
  int cpu_m = 1;
  // --sched-fifo of both tools: the forwarding loop as SCHED_FIFO at this priority (0: as
  // SCHED_OTHER). See kDefaultForwarderFifo.
  int sched_fifo = kDefaultForwarderFifo;
  // The AF_XDP forwarder's RX/TX rings (fill and completion twice this) and UMEM frames: a
  // descheduled fraction of a second of frames at the unpaced rate.
  std::uint32_t ring_size = 8192;
  std::uint32_t frame_count = 16384;
  // The relay's ingress receive buffer (SO_RCVBUFFORCE).
  int relay_rcvbuf = 64 << 20;
  // --latency: ping from A, pong in B, forwarded both ways by M, with `latency`'s modes for the
  // two ends, its counts, repetitions, CPUs and histogram (the throughput phases do not run).
  bool latency_mode = false;
  LatencyOptions latency;
};

// The run's pair: the AF_XDP sender (it writes full checksums, which the forwarder leaves as
// they are) and the socket receiver.
PairSpec forward_pair();

}  // namespace copylab
