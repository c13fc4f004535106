#include "harness/dpdk_pairs.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "common/stop.hpp"
#include "pathspec/tool_argv.hpp"

namespace copylab {

std::optional<std::string> dpdk_unavailable(const TopologyConfig& topo, const std::string& bin_dir,
                                            const std::string& work_dir) {
  for (const ToolRole role : {ToolRole::kSender, ToolRole::kReceiver}) {
    const std::string tool = tool_name(DatapathKind::kDpdk, role);
    if (access((bin_dir + "/" + tool).c_str(), X_OK) != 0) {
      return "not built: apt-get install libdpdk-dev librte-net-af-xdp23, rebuild";
    }
  }
  ToolLaunch l;
  l.path = dpdk_path();
  l.role = ToolRole::kReceiver;
  l.duration_s = 30;  // a bound only: stopped as soon as it is ready
  l.per_second = false;
  l.ready_file = work_dir + "/dpdk-probe.ready";
  std::filesystem::remove(l.ready_file);
  const std::string log = work_dir + "/dpdk-probe.log";
  ChildProcess probe = ChildProcess::start(tool_argv(topo, l, bin_dir), log);
  try {
    wait_for_ready_file(l.ready_file, probe, std::chrono::seconds(30));
  } catch (const Error& e) {
    probe.stop();
    if (stop_requested()) throw;  // interrupted: not a reason to skip
    // The probe's command line and log stay at -v: the warning is one line that fits a terminal.
    spdlog::debug("compare: DPDK probe on {}: {} (log {})", topo.dev_b, e.one_line(), log);
    std::string why = last_line_of(log);
    if (why.empty()) why = "not ready within 30 s";
    constexpr std::size_t kMaxWhy = 32;  // "warning: compare: no DPDK pair: " + this <= 120 columns
    if (why.size() > kMaxWhy) why = why.substr(0, kMaxWhy - 3) + "...";
    return "net_af_xdp did not start on " + topo.dev_b + ": " + why + " (see -v)";
  }
  probe.stop();
  return std::nullopt;
}

namespace {

std::uint64_t count_at(const nlohmann::json& doc, const char* key) {
  const nlohmann::json* p = &doc;
  for (const char* k : {"counters", "pmd_umem", key}) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &p->at(k);
  }
  return p->is_number_unsigned() ? p->get<std::uint64_t>() : 0;
}

bool has_pmd_counts(const nlohmann::json& doc) {
  return doc.is_object() && doc.contains("counters") && doc.at("counters").contains("pmd_umem");
}

}  // namespace

std::vector<std::string> pmd_copy_lines(const std::vector<RunRecord>& runs) {
  std::vector<std::string> out;
  for (const RunRecord& r : runs) {
    std::string line;
    if (r.pair.rx == PathKind::kDpdk && has_pmd_counts(r.receiver_doc)) {
      const nlohmann::json& d = r.receiver_doc;
      line += fmt::format(
          "RX {} mbufs at data_off {} (where af_xdp_rx_cp's UMEM->mbuf copy lands), {} at the "
          "kernel's offset in a UMEM chunk (data_off {}: af_xdp_rx_zc, no copy)",
          count_at(d, "rx_default_offset"), count_at(d, "default_headroom"),
          count_at(d, "rx_kernel_offset"), count_at(d, "rx_last_data_off"));
    }
    if (r.pair.tx == PathKind::kDpdk && has_pmd_counts(r.sender_doc)) {
      const nlohmann::json& d = r.sender_doc;
      line += fmt::format(
          "{}TX {} mbufs of another pool (af_xdp_tx_zc copies them into the UMEM), {} of the "
          "PMD's UMEM pool (sent by descriptor, no copy)",
          line.empty() ? "" : "; ", count_at(d, "tx_other_pool"), count_at(d, "tx_umem_pool"));
    }
    if (line.empty()) continue;
    const bool memzone =
        r.receiver_doc.is_object() &&
        r.receiver_doc.value("/counters/pmd_umem/copy_mode_memzone"_json_pointer, false);
    out.push_back(r.pair.label() + " " + r.phase.name + ": " + line +
                  (r.pair.rx == PathKind::kDpdk
                       ? (memzone ? "; the copy mode's af_xdp_umem memzone exists"
                                  : "; no af_xdp_umem memzone: the UMEM is the mbuf pool")
                       : ""));
  }
  return out;
}

}  // namespace copylab
