// dpdk_pingpong: one side of a ping-pong through DPDK's net_af_xdp PMD, busy-polling
// rte_eth_rx_burst: the ping (run_ping: one ping in flight, RTT from the payload's send_ns) or the
// pong (run_pong: echoes each frame in place in its mbuf). The DPDK EAL starts once per process,
// so `copylab latency` runs each DPDK side as this tool in its own namespace; the result JSON
// carries the histograms (latency/pingpong_json). The pong runs until SIGTERM or SIGINT, its
// harness's way to end it, and then exits 0 with its result.
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <string>

#include "cli/option_checks.hpp"
#include "cli/options_dpdk.hpp"
#include "cli/tool_main.hpp"
#include "dpdk/dpdk_datapath.hpp"
#include "latency/pingpong_json.hpp"

int main(int argc, char** argv) {
  using namespace copylab;
  enum class Role { kPing, kPong };
  DpdkConfig cfg;
  Role role = Role::kPing;
  PingConfig ping;
  int reply_timeout_ms = static_cast<int>(ping.reply_timeout.count());
  bool no_rx_ts = false;
  const ToolSpec spec{
      "dpdk_pingpong",
      "One side of a ping-pong through DPDK's AF_XDP poll-mode driver (net_af_xdp), "
      "busy-polling rte_eth_rx_burst: --role ping sends, --role pong echoes",
      /*sender=*/true,
      [&](CLI::App& app, RunOutputOptions& out) {
        const std::map<std::string, Role> roles{{"ping", Role::kPing}, {"pong", Role::kPong}};
        app.add_option("--role", role, "ping (sends --count pings, one in flight) or pong (echoes)")
            ->transform(CLI::CheckedTransformer(roles, CLI::ignore_case))
            ->type_name("ROLE")
            ->required();
        in_range<std::uint64_t>(app.add_option("--warmup", ping.warmup, "ping: warm-up pings (discarded)"),
                                0, kMaxCount)
            ->capture_default_str();
        in_range(app.add_option("--reply-timeout", reply_timeout_ms,
                                "ping: ms after which a missing echo counts as lost"),
                 1, 10000)
            ->capture_default_str();
        in_range(app.add_option("--digits", ping.significant_digits,
                                "histogram significant digits (1..5)"),
                 1, 5)
            ->capture_default_str();
        app.add_flag("--no-rx-timestamps", no_rx_ts, "do not ask for kernel RX timestamps");
        add_start_after_option(app, out);
      },
      [&](Datapath& dp, const TrafficConfig& traffic, const RunOutputOptions& out) {
        const bool split = !no_rx_ts;
        if (role == Role::kPong) {
          const std::atomic<bool> never{false};  // the pong ends on a stop signal
          PongResult r(ping.significant_digits);
          run_pong(dp, never, r, split);
          spdlog::info("dpdk_pingpong pong: echoed {} frames ({} corrupt)", r.echoed, r.corrupt);
          return ToolLoopResult{to_json(r), false};
        }
        ping.count = traffic.count != 0 ? traffic.count : ping.count;
        ping.payload_len = traffic.payload_size;
        ping.rate_pps = traffic.rate_pps;
        ping.reply_timeout = std::chrono::milliseconds(reply_timeout_ms);
        if (traffic.duration_s > 0) {
          ping.max_duration =
              std::chrono::milliseconds(static_cast<long>(traffic.duration_s * 1000));
        }
        ping.kernel_rx_split = split;
        wait_for_start(out);
        const PingResult r = run_ping(dp, ping);
        spdlog::info("dpdk_pingpong ping: {} sent, {} replies, {} lost, {} corrupt{}", r.sent,
                     r.replies, r.lost, r.corrupt, r.truncated ? " (" + r.stop_reason + ")" : "");
        return ToolLoopResult{to_json(r), r.truncated && r.stop_reason == "stopped by signal"};
      }};
  return datapath_tool_main(
      argc, argv, spec,
      {[&](CLI::App& app) { add_dpdk_options(app, cfg, /*sender=*/true); },
       [&](const TrafficConfig& traffic) {
         cfg.batch = traffic.batch;
         cfg.payload_size = traffic.payload_size;
         // A pinger keeps its echoes (sent back to its source port); a pong keeps the pings.
         if (role == Role::kPing) cfg.rx_port = cfg.frame.src_port;
         validate(cfg);
         return make_dpdk_datapath(cfg);
       },
       /*spins=*/{}});
}
