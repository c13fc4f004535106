#include "pathspec/tool_argv.hpp"

#include <fmt/format.h>

#include <initializer_list>

#include "common/error.hpp"
#include "netns/command.hpp"

namespace copylab {

const char* tool_name(DatapathKind datapath, ToolRole role) noexcept {
  const bool sender = role == ToolRole::kSender;
  if (datapath == DatapathKind::kAfXdp) return sender ? "xdp_sender" : "xdp_receiver";
  if (datapath == DatapathKind::kDpdk) return sender ? "dpdk_sender" : "dpdk_receiver";
  return sender ? "sock_sender" : "sock_receiver";
}

std::vector<std::string> all_tool_names() {
  std::vector<std::string> names;
  for (const DatapathKind d : {DatapathKind::kSocket, DatapathKind::kAfXdp}) {
    for (const ToolRole r : {ToolRole::kSender, ToolRole::kReceiver}) names.emplace_back(tool_name(d, r));
  }
  return names;
}

namespace {

using Args = std::vector<std::string>;

void append(Args& a, std::initializer_list<std::string> more) { a.insert(a.end(), more); }

// A flag that only one role or datapath takes, asked of the other: a harness bug, said once.
void refuse(bool wrong, const ToolLaunch& l, const char* flag) {
  if (!wrong) return;
  throw Error(fmt::format("{} takes no {}", tool_name(l.path.datapath(), l.role), flag),
              "leave it unset for this tool", kExitUsage);
}

}  // namespace

std::vector<std::string> tool_args(const TopologyConfig& t, const ToolLaunch& l) {
  const bool sender = l.role == ToolRole::kSender;
  const bool xdp = l.path.af_xdp();
  const bool dpdk = l.path.dpdk();
  refuse(!sender && l.src_port.has_value(), l, "--src-port");
  refuse(!sender && l.rate_pps > 0, l, "--rate");
  refuse(!sender && !l.start_after_file.empty(), l, "--start-after-file");
  refuse(sender && l.idle_timeout_s.has_value(), l, "--idle-timeout");
  refuse(sender && !l.stop_after_file.empty(), l, "--stop-after-file");
  refuse(sender && l.drain_s.has_value(), l, "--drain");
  refuse(sender && !l.per_second, l, "--no-per-second");
  refuse(sender && l.sched_fifo != 0, l, "--sched-fifo");
  refuse(l.path.datapath() != DatapathKind::kSocket && l.rcvbuf.has_value(), l, "--rcvbuf");
  refuse(!xdp && !dpdk && l.ring_size.has_value(), l, "--ring-size");
  refuse(!xdp && l.frame_count.has_value(), l, "--frame-count");
  refuse(!dpdk && l.mbufs.has_value(), l, "--mbufs");

  Args a{"--dev", sender ? t.dev_a : t.dev_b};
  // Addresses: a sender names both ends (AF_XDP also both MACs: no ARP on an XSK); a socket
  // receiver binds B's address; the AF_XDP receiver's steering program and the DPDK receiver
  // match the port only.
  if (sender) {
    if (xdp || dpdk) append(a, {"--src-mac", t.mac_a.str(), "--dst-mac", t.mac_b.str()});
    append(a, {"--src-ip", t.ip_a.str(), "--dst-ip", t.ip_b.str()});
    if (l.src_port) append(a, {"--src-port", std::to_string(*l.src_port)});
  } else if (!xdp && !dpdk) {
    append(a, {"--dst-ip", t.ip_b.str()});
  }
  if (l.dst_port) append(a, {"--dst-port", std::to_string(*l.dst_port)});

  // The path. A TX-only AF_XDP sender attaches no program, so --mode goes to the receiver only.
  if (xdp && !sender) append(a, {"--mode", to_string(l.path.xdp_mode())});
  append(a, {"--wait", to_string(l.path.wait())});
  if (xdp) a.emplace_back(l.path.need_wakeup() ? "--need-wakeup" : "--no-need-wakeup");
  if (xdp && l.path.zero_copy()) a.emplace_back("--zero-copy");
  append(a, {"--cpu", std::to_string(l.path.cpu())});

  if (l.size) append(a, {"--size", std::to_string(*l.size)});
  if (l.count) append(a, {"--count", std::to_string(*l.count)});
  if (l.rate_pps > 0) append(a, {"--rate", fmt::format("{}", l.rate_pps)});
  if (l.duration_s) append(a, {"--duration", fmt::format("{}", *l.duration_s)});
  if (l.idle_timeout_s) append(a, {"--idle-timeout", fmt::format("{}", *l.idle_timeout_s)});
  if (!l.stop_after_file.empty()) append(a, {"--stop-after-file", l.stop_after_file});
  if (l.drain_s) append(a, {"--drain", fmt::format("{}", *l.drain_s)});
  if (!l.per_second) a.emplace_back("--no-per-second");
  if (l.sched_fifo != 0) append(a, {"--sched-fifo", std::to_string(l.sched_fifo)});
  if (l.rcvbuf) append(a, {"--rcvbuf", std::to_string(*l.rcvbuf)});
  if (l.ring_size) append(a, {"--ring-size", std::to_string(*l.ring_size)});
  if (l.frame_count) append(a, {"--frame-count", std::to_string(*l.frame_count)});
  if (l.mbufs) append(a, {"--mbufs", std::to_string(*l.mbufs)});

  if (!l.json_file.empty()) append(a, {"--json", l.json_file});
  if (!l.ready_file.empty()) append(a, {"--ready-file", l.ready_file});
  if (!l.start_after_file.empty()) append(a, {"--start-after-file", l.start_after_file});
  if (l.verbose) a.emplace_back("-v");
  return a;
}

std::vector<std::string> tool_argv(const TopologyConfig& t, const ToolLaunch& l,
                                   const std::string& bin_dir) {
  Args argv{bin_dir + "/" + tool_name(l.path.datapath(), l.role)};
  const Args args = tool_args(t, l);
  argv.insert(argv.end(), args.begin(), args.end());
  return netns_exec_argv(l.role == ToolRole::kSender ? t.ns_a : t.ns_b, argv);
}

}  // namespace copylab
