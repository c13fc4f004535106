#include "latency/tool_sides.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/child_process.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "common/run_registry.hpp"
#include "common/ready_file.hpp"
#include "common/stop.hpp"
#include "latency/pingpong_json.hpp"
#include "latency/sides.hpp"
#include "netns/command.hpp"

namespace copylab {

namespace {

namespace fs = std::filesystem;

// How long a stopped pong gets to close its port (the PMD detaches its XDP program) and the EAL.
constexpr std::chrono::milliseconds kPongGrace{5000};

// One run's ready, go, JSON and log files in a fresh temporary directory: removed when it goes,
// unless keep() (a side failed and its log is named in the error). In the run's record until it
// goes, kept or not, so a killed run's directory is removed by the next run.
class RunFiles {
 public:
  RunFiles() {
    std::string tmpl = temp_dir() + "/copylab-latency-dpdk-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp", tmpl, errno);
    dir_ = tmpl;
    record_ = record_owned({{"kind", "work_dir"}, {"path", dir_}});
  }
  ~RunFiles() {
    std::error_code ec;
    if (!keep_) fs::remove_all(dir_, ec);
  }
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;
  std::string operator()(const std::string& name) const { return dir_ + "/" + name; }
  void keep() noexcept { keep_ = true; }

 private:
  std::string dir_;
  bool keep_ = false;
  OwnedState record_;
};

std::vector<std::string> side_args(const std::string& bin_dir, const char* role,
                                   const std::string& dev, const PathSpec& path,
                                   const RunParams& p, const RunFiles& files) {
  const std::string r(role);
  std::vector<std::string> a{bin_dir + "/" + kPingPongTool, "--role", r, "--dev", dev,
                             "--wait", to_string(path.wait()), "--cpu", std::to_string(path.cpu()),
                             "--size", std::to_string(p.ping.payload_len),
                             "--digits", std::to_string(p.ping.significant_digits),
                             "--ready-file", files(r + ".ready"), "--json", files(r + ".json")};
  if (!p.ping.kernel_rx_split) a.emplace_back("--no-rx-timestamps");
  return a;
}

// The side's result document; Error quoting its log when it wrote none.
nlohmann::json read_result(const RunFiles& files, const std::string& role) {
  std::ifstream in(files(role + ".json"));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!in.is_open() || doc.is_discarded() || !doc.contains("result")) {
    throw Error(fmt::format("{} --role {} wrote no result: {}", kPingPongTool, role,
                            last_line_of(files(role + ".log"))),
                "see its log " + files(role + ".log"));
  }
  return doc;
}

}  // namespace

std::optional<std::string> pingpong_tool_missing(const std::string& bin_dir) {
  if (::access((bin_dir + "/" + kPingPongTool).c_str(), X_OK) == 0) return std::nullopt;
  return std::string(kPingPongTool) + " is not built (DPDK was not found at build time)";
}

void run_tool_sides(const ModeSpec& mode, const TopologyConfig& topo, const RunParams& params,
                    OnceOutcome& out) {
  const TopologyConfig& pong_topo = params.pong_topo != nullptr ? *params.pong_topo : topo;
  if (mode.ping.kind() != SideKind::kDpdk || mode.pong.kind() != SideKind::kDpdk) {
    throw Error("internal: " + mode.name + " runs out of process only with DPDK on both sides");
  }
  const std::string bin_dir = self_bin_dir();
  if (const auto why = pingpong_tool_missing(bin_dir)) {
    throw Error(*why, "apt-get install libdpdk-dev librte-net-af-xdp23, rebuild", kExitUnsupported);
  }
  RunFiles files;
  const PingConfig& pc = params.ping;
  std::vector<std::string> pong_args = side_args(
      bin_dir, "pong", pong_topo.dev_b, mode.pong.path.on_cpu(params.cpu_pong), params, files);
  pong_args.insert(pong_args.end(), {"--dst-port", std::to_string(params.port)});
  std::vector<std::string> ping_args = side_args(
      bin_dir, "ping", topo.dev_a, mode.ping.path.on_cpu(params.cpu_ping), params, files);
  ping_args.insert(
      ping_args.end(),
      {"--src-mac", topo.mac_a.str(), "--dst-mac", topo.mac_b.str(), "--src-ip", topo.ip_a.str(),
       "--dst-ip", topo.ip_b.str(), "--src-port", std::to_string(kPingPort), "--dst-port",
       std::to_string(params.port), "--count", std::to_string(pc.count), "--warmup",
       std::to_string(pc.warmup), "--reply-timeout", std::to_string(pc.reply_timeout.count()),
       "--duration", fmt::format("{}", static_cast<double>(pc.max_duration.count()) / 1000.0),
       "--start-after-file", files("go")});
  if (pc.rate_pps > 0) ping_args.insert(ping_args.end(), {"--rate", fmt::format("{}", pc.rate_pps)});

  try {
    ChildProcess pong = ChildProcess::start(netns_exec_argv(pong_topo.ns_b, pong_args), files("pong.log"));
    ChildProcess ping = ChildProcess::start(netns_exec_argv(topo.ns_a, ping_args), files("ping.log"));
    const auto setup = std::chrono::duration_cast<std::chrono::milliseconds>(params.setup_timeout);
    wait_for_ready_file(files("pong.ready"), pong, setup);
    wait_for_ready_file(files("ping.ready"), ping, setup);
    std::ofstream(files("go")) << "go\n";

    // The ping ends by itself (count or duration bound); a hung one is stopped past the bound.
    const std::uint64_t end =
        now_ns() + static_cast<std::uint64_t>((pc.max_duration + setup).count()) * 1'000'000ULL;
    std::optional<int> ping_rc;
    while (!(ping_rc = ping.wait_for(std::chrono::milliseconds(50)))) {
      if (stop_requested() || now_ns() >= end) {
        ping_rc = ping.stop();
        break;
      }
    }
    const int pong_rc = pong.stop(kPongGrace);
    if (stop_requested()) throw Error("interrupted", "", stop_exit_code());
    for (const auto& [role, rc] : {std::pair{"ping", *ping_rc}, std::pair{"pong", pong_rc}}) {
      if (rc != 0) {
        const std::string log = files(std::string(role) + ".log");
        throw Error(fmt::format("{} --role {} exited with {}: {}", kPingPongTool, role, rc,
                                last_line_of(log)),
                    "see its log " + log);
      }
    }
    const nlohmann::json ping_doc = read_result(files, "ping");
    const nlohmann::json pong_doc = read_result(files, "pong");
    out.ping = ping_result_from_json(ping_doc.at("result"), pc.significant_digits);
    out.pong = pong_result_from_json(pong_doc.at("result"), pc.significant_digits);
    out.record.ping_mode = ping_doc.value("mode", nlohmann::json::object());
    out.record.pong_mode = pong_doc.value("mode", nlohmann::json::object());
    out.record.ping_counters = ping_doc.value("counters", nlohmann::json::object());
    out.record.pong_counters = pong_doc.value("counters", nlohmann::json::object());
  } catch (const Error& e) {
    if (!stop_requested()) files.keep();
    throw;
  }
}

}  // namespace copylab
