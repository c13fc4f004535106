#include "pathspec/path_spec.hpp"

#include "common/error.hpp"

namespace copylab {

std::optional<DatapathKind> parse_datapath_kind(std::string_view text) noexcept {
  for (const DatapathKind d : {DatapathKind::kSocket, DatapathKind::kAfXdp, DatapathKind::kDpdk}) {
    if (text == to_string(d)) return d;
  }
  return std::nullopt;
}

std::optional<XskBindChoice> parse_xsk_bind(std::string_view text) noexcept {
  for (const XskBindChoice b : {XskBindChoice::kCopy, XskBindChoice::kZeroCopy, XskBindChoice::kBoth}) {
    if (text == to_string(b)) return b;
  }
  return std::nullopt;
}

namespace {

void check_cpu(int cpu) {
  if (cpu < -1) {
    throw Error("CPU " + std::to_string(cpu) + " is not a CPU number",
                "give a CPU number (0, 1, ...) or -1 for no pinning", kExitUsage);
  }
}

}  // namespace

PathSpec make_path_spec(DatapathKind datapath, XdpMode xdp_mode, WaitPolicy wait,
                        bool need_wakeup, int cpu) {
  if (datapath == DatapathKind::kAfXdp && wait == WaitPolicy::kBlock) {
    throw Error("an AF_XDP path cannot wait with 'block' (an XSK has no blocking receive)",
                "use spin, poll or busy-poll", kExitUsage);
  }
  if (datapath == DatapathKind::kDpdk && wait != WaitPolicy::kSpin &&
      wait != WaitPolicy::kBusyPoll) {
    throw Error(std::string("a DPDK path cannot wait with '") + to_string(wait) +
                    "' (the net_af_xdp PMD polls rte_eth_rx_burst: busy_budget 0 or > 0)",
                "use spin or busy-poll", kExitUsage);
  }
  check_cpu(cpu);
  PathSpec p;
  p.datapath_ = datapath;
  p.wait_ = wait;
  p.cpu_ = cpu;
  if (datapath == DatapathKind::kAfXdp) {
    p.xdp_mode_ = xdp_mode;
    p.need_wakeup_ = need_wakeup;
  }
  return p;
}

PathSpec PathSpec::on_cpu(int cpu) const {
  PathSpec p = make_path_spec(datapath_, xdp_mode_, wait_, need_wakeup_, cpu);
  p.zero_copy_ = zero_copy_;
  return p;
}

PathSpec PathSpec::with_zero_copy(bool zero_copy) const {
  if (zero_copy && datapath_ != DatapathKind::kAfXdp) {
    throw Error(std::string("a ") + to_string(datapath_) +
                    " path cannot bind zero-copy (XDP_ZEROCOPY is the AF_XDP tools' bind flag)",
                "ask for zero-copy on an AF_XDP path only", kExitUsage);
  }
  PathSpec p = *this;
  p.zero_copy_ = zero_copy;
  return p;
}

PathSpec socket_path(WaitPolicy wait, int cpu) {
  return make_path_spec(DatapathKind::kSocket, XdpMode::kAuto, wait, false, cpu);
}

PathSpec af_xdp_path(XdpMode mode, WaitPolicy wait, bool need_wakeup, int cpu) {
  return make_path_spec(DatapathKind::kAfXdp, mode, wait, need_wakeup, cpu);
}

PathSpec dpdk_path(WaitPolicy wait, int cpu) {
  return make_path_spec(DatapathKind::kDpdk, XdpMode::kAuto, wait, false, cpu);
}

std::string describe(const PathSpec& p) {
  std::string out = std::string(to_string(p.datapath())) + "/" + to_string(p.wait());
  if (p.af_xdp()) {
    out += "/" + std::string(to_string(p.xdp_mode()));
    if (p.need_wakeup()) out += "/need_wakeup";
    if (p.zero_copy()) out += "/zero-copy";
  }
  if (p.cpu() >= 0) out += "/cpu" + std::to_string(p.cpu());
  return out;
}

}  // namespace copylab
