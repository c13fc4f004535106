#include "latency/options.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.hpp"
#include "packet/payload_size.hpp"

namespace copylab {

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
  }
  return out;
}

void check_cpu(int cpu, int cpus, const char* option) {
  if (cpu < 0 || cpu >= cpus) {
    throw Error(std::string(option) + " " + std::to_string(cpu) +
                    ": no such CPU on this machine (CPUs 0-" + std::to_string(cpus - 1) + ")",
                std::string("pick ") + option + " between 0 and " + std::to_string(cpus - 1),
                kExitUsage);
  }
}

}  // namespace

std::vector<std::size_t> parse_size_list(const std::string& text, const char* option) {
  std::vector<std::size_t> out;
  for (const auto& item : split(text)) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      if (!item.empty() && item[0] == '-') throw std::invalid_argument("negative");
      v = std::stoull(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size()) {
      throw Error(std::string(option) + ": '" + item + "' is not a payload size in bytes",
                  std::string("give a comma list such as ") + option + " 64,256,1472", kExitUsage);
    }
    out.push_back(static_cast<std::size_t>(v));
  }
  return out;
}

std::vector<double> parse_rate_list(const std::string& text, const char* option) {
  std::vector<double> out;
  for (const auto& item : split(text)) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size()) {
      throw Error(std::string(option) + ": '" + item + "' is not a rate in pings per second",
                  std::string("give a comma list such as ") + option + " 1000,10000,50000",
                  kExitUsage);
    }
    out.push_back(v);
  }
  return out;
}

std::pair<std::string, std::string> parse_pair(const std::string& text, const char* option) {
  const auto parts = split(text);
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    throw Error(std::string(option) + " '" + text + "' must name exactly two, comma-separated",
                std::string("e.g. ") + option +
                    (std::string(option) == "--dev" ? " veth1,veth2" : " ns1,ns2"),
                kExitUsage);
  }
  return {parts[0], parts[1]};
}

LatencyPlan validate(const LatencyOptions& o, int cpus) {
  LatencyPlan plan;
  plan.modes = apply_xsk_bind(parse_modes(o.modes), o.xsk_bind);
  if (o.count == 0) {
    throw Error("--count 0: nothing to measure", "give --count of at least 1 (e.g. 20000)",
                kExitUsage);
  }
  if (o.reps < 1 || o.reps > 1000) {
    throw Error("--reps " + std::to_string(o.reps) + " is out of range",
                "use --reps between 1 and 1000", kExitUsage);
  }
  if (!(o.duration_s > 0) || !std::isfinite(o.duration_s)) {
    throw Error("--duration must be a positive number of seconds", "e.g. --duration 30",
                kExitUsage);
  }
  if (o.reply_timeout_ms < 1 || o.reply_timeout_ms > 10000) {
    throw Error("--reply-timeout " + std::to_string(o.reply_timeout_ms) + " ms is out of range",
                "use 1..10000 ms", kExitUsage);
  }
  if (o.digits < 1 || o.digits > 5) {
    throw Error("--digits " + std::to_string(o.digits) + " is out of range",
                "use 1..5 significant digits (3 = 0.1% relative error)", kExitUsage);
  }
  // Each device's MTU is checked once the devices exist (check_payload_fits).
  check_payload_size("--size", o.size);
  plan.sizes.push_back(o.size);
  for (std::size_t s : o.sizes) {
    check_payload_size("--sizes", s);
    if (std::find(plan.sizes.begin(), plan.sizes.end(), s) == plan.sizes.end())
      plan.sizes.push_back(s);
  }
  for (double r : o.rates) {
    if (!std::isfinite(r) || r <= 0 || r > kMaxRatePps) {
      std::ostringstream v;
      v << r;
      throw Error("--rates " + v.str() + " pings/s is impossible for a paced ping-pong",
                  "give rates above 0 and at most 1000000 pings/s (one ping per µs)", kExitUsage);
    }
    if (std::find(plan.rates.begin(), plan.rates.end(), r) == plan.rates.end())
      plan.rates.push_back(r);
  }
  std::sort(plan.rates.begin(), plan.rates.end());
  check_cpu(o.cpu_ping, cpus, "--cpu-ping");
  check_cpu(o.cpu_pong, cpus, "--cpu-pong");
  if (!o.netns.empty()) {
    const auto [a, b] = parse_pair(o.netns, "--netns");
    if (a == b) {
      throw Error("--netns " + o.netns + " names the same namespace twice: ping and pong need "
                  "the two ends of a veth pair in two namespaces",
                  "give two namespaces, e.g. --netns ns1,ns2 (netns/setup.sh makes them)",
                  kExitUsage);
    }
  }
  if (!o.dev.empty()) parse_pair(o.dev, "--dev");
  if (!o.dev.empty() && o.netns.empty()) {
    throw Error("--dev needs --netns (the devices live in existing namespaces)",
                "give both, e.g. --netns ns1,ns2 --dev veth1,veth2", kExitUsage);
  }
  return plan;
}

}  // namespace copylab
