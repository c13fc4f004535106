#include "latency/sockperf.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "common/child_process.hpp"
#include "netns/command.hpp"

namespace copylab {

bool sockperf_installed() {
  try {
    return run_command({"sh", "-c", "command -v sockperf"}).ok();
  } catch (const Error&) {
    return false;
  }
}

SockperfResult parse_sockperf_output(const std::string& text) {
  SockperfResult r;
  static const std::regex total(R"(Total\s+(\d+)\s+observations)");
  static const std::regex pct(R"(--->\s+percentile\s+([0-9.]+)\s*=\s*([0-9.]+))");
  static const std::regex ext(R"(--->\s+<(MAX|MIN)>\s+observation\s*=\s*([0-9.]+))");
  static const std::regex avg(R"(avg-rtt\s*=\s*([0-9.]+))");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, total)) {
      r.observations = std::stoull(m[1]);
    } else if (std::regex_search(line, m, pct)) {
      r.percentiles_us.emplace_back(m[1].str(), std::stod(m[2]));
    } else if (std::regex_search(line, m, ext)) {
      r.percentiles_us.emplace_back(m[1].str(), std::stod(m[2]));
    } else if (std::regex_search(line, m, avg)) {
      r.avg_rtt_us = std::stod(m[1]);
    }
  }
  r.ran = r.observations > 0 && r.percentile("50.000").has_value();
  if (!r.ran) r.error = "could not find sockperf's percentile lines in its output";
  return r;
}

SockperfResult run_sockperf(const SockperfParams& p) {
  SockperfResult r;
  r.variant = p.nonblocked ? "nonblocked" : "blocking";
  r.compare_with = p.nonblocked ? "sock-spin" : "sock-block";
  if (!sockperf_installed()) {
    r.error = "sockperf is not installed (apt-get install sockperf)";
    return r;
  }
  const std::string port = std::to_string(p.port);
  try {
    const std::string log = "/tmp/copylab-sockperf-server-" + std::to_string(getpid()) + ".log";
    std::vector<std::string> server_argv = {"taskset", "-c", std::to_string(p.cpu_server),
                                            "sockperf", "server", "-i", p.server_ip, "-p", port};
    if (p.nonblocked) server_argv.push_back("--nonblocked");
    ChildProcess server = ChildProcess::start(netns_exec_argv(p.ns_server, server_argv), log);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (!server.running()) {
      r.error = "sockperf server exited at start: " + last_line_of(log);
      std::remove(log.c_str());
      return r;
    }
    std::vector<std::string> client = {
        "taskset", "-c", std::to_string(p.cpu_client), "sockperf", "ping-pong", "-i",
        p.server_ip, "-p", port, "-m", std::to_string(p.msg_size), "-t",
        std::to_string(p.seconds), "--full-rtt"};
    if (p.nonblocked) client.push_back("--nonblocked");
    std::string cmd;
    for (const auto& a : netns_exec_argv(p.ns_client, client)) cmd += (cmd.empty() ? "" : " ") + a;
    const CommandResult res = run_in_netns(p.ns_client, client);
    server.stop();
    std::remove(log.c_str());
    r = parse_sockperf_output(res.out + "\n" + res.err);
    r.command = cmd;
    r.variant = p.nonblocked ? "nonblocked" : "blocking";
    r.compare_with = p.nonblocked ? "sock-spin" : "sock-block";
    if (!res.ok()) {
      r.ran = false;
      r.error = "sockperf ping-pong failed: " + res.last_error_line();
    }
  } catch (const Error& e) {
    r.ran = false;
    r.error = e.one_line();
  }
  return r;
}

}  // namespace copylab
