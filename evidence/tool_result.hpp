// What one of copylab's tools (sock_sender, sock_receiver, xdp_sender, xdp_receiver) reported in
// its --json result, as the fields copylab compare checks: counts, validator, the mode read back
// from the kernel, XDP_STATISTICS and the steering program's counters. Read from the JSON once,
// where the tool's output enters (parse_tool_result); everything after reads fields.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "xdp/xdp_mode.hpp"

namespace copylab {

// The receiver's payload check (result.validator).
struct ValidatorCounts {
  long long received = 0;    // frames that reached the validator
  long long unique = 0;      // distinct sequence numbers
  long long duplicates = 0;  // repeated sequence numbers
  long long reordered = 0;   // frames older than the highest seen
  long long corrupt = 0;     // payload not what the sender wrote
};

// getsockopt(XDP_STATISTICS) at the end of the run (counters.xdp_statistics; struct
// xdp_statistics in include/uapi/linux/if_xdp.h).
struct XskStatistics {
  long long rx_dropped = 0;  // no free UMEM frame (fill ring empty)
  long long rx_invalid_descs = 0;
  long long tx_invalid_descs = 0;
  long long rx_ring_full = 0;  // RX ring full
  long long rx_fill_ring_empty_descs = 0;
  long long tx_ring_empty_descs = 0;
};

// The AF_XDP receiver's steering program's per-CPU counters, summed (counters.steer).
struct SteerCounts {
  long long redirected = 0;  // frames sent to the XSKMAP
  long long passed_no_xsk = 0;
  long long passed_other_port = 0;
  long long passed_not_udp = 0;
  long long passed_truncated = 0;
  long long meta_stamped = 0;
  long long meta_refused = 0;
};

// The datapath mode the tool read back after setup (mode): what the checks and verdicts need.
struct ToolMode {
  std::optional<std::string> xdp_attach;  // AF_XDP: "native", "generic"; "none" for a sender
  std::optional<std::string> bind;        // AF_XDP: "copy" or "zero-copy"
  std::optional<std::string> wait;        // "block", "spin", "poll", "busy-poll"

  // xdp_attach as a mode; nullopt for a socket, a sender ("none") or an unknown name.
  std::optional<XdpMode> xdp_mode() const;
  bool zero_copy() const { return bind == "zero-copy"; }
};

// Each field is nullopt when the tool did not report it (a sender has no `received`, a socket
// tool no XDP_STATISTICS, a TX-only AF_XDP socket no steering program).
struct ToolResult {
  ToolMode mode;
  std::optional<long long> sent;              // sender: frames handed to the kernel
  std::optional<long long> received;          // receiver: unique frames
  std::optional<long long> lost;              // receiver: frames it did not get
  std::optional<long long> in_flight_at_end;  // sender: frames not completed when it stopped
  std::optional<double> pps;                  // the tool's own rate
  std::optional<double> frame_mbit_s;         // the tool's own rate in Mbit/s of whole frames
  std::optional<double> cpu_user_s;           // the tool's CPU time over the run (getrusage)
  std::optional<double> cpu_system_s;
  std::optional<double> one_way_p50_us;       // receiver: one-way latency median (payload stamps)
  std::optional<double> one_way_p99_us;
  std::optional<std::string> stopped_by;      // "count", "duration", "drain", "signal", ...
  std::optional<ValidatorCounts> validator;
  std::optional<XskStatistics> xdp_statistics;
  std::optional<SteerCounts> steer;
};

// The fields of a tool's --json document. `source` names it in errors (the file it was read
// from). A field that is absent (or null) stays nullopt; one of the wrong type throws Error
// "<source>: <field> is <type>, expected <type>".
ToolResult parse_tool_result(const nlohmann::json& doc, const std::string& source);

}  // namespace copylab
