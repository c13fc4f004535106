#include "harness/forward_latency.hpp"

#include <signal.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "common/stop.hpp"
#include "harness/forward_runner.hpp"
#include "latency/experiment.hpp"
#include "latency/sides.hpp"

namespace copylab {

EndViews end_views(const TopologyConfig& t, ForwarderKind kind) {
  EndViews v{t, t};
  v.ping.mac_b = t.mac_ma;  // what an AF_XDP ping writes; a socket's neighbour entry says the same
  v.pong.mac_a = t.mac_mb;
  if (kind == ForwarderKind::kRelay) {
    v.ping.ip_b = t.ip_ma;
    v.pong.ip_a = t.ip_mb;
  }
  return v;
}

namespace {

// One repetition's forwarder in M, two-way, from ready until stop(): its exit code and JSON.
class LatencyForwarder {
 public:
  LatencyForwarder(const TopologyConfig& t, ForwarderKind kind, const ForwardOptions& o,
                   const std::string& stem)
      : kind_(kind), stem_(stem) {
    for (const auto& f : {stem_ + ".json", stem_ + ".ready"}) std::filesystem::remove(f);
    child_.emplace(ChildProcess::start(
        forwarder_argv(t, kind, o, stem_ + ".json", stem_ + ".ready", kPingPort), stem_ + ".log"));
    wait_for_ready_file(stem_ + ".ready", *child_, std::chrono::seconds(30));
  }

  nlohmann::json stop() {
    child_->signal(SIGINT);
    const auto rc = child_->wait_for(std::chrono::seconds(30));
    const int code = rc ? *rc : child_->stop();
    if (code != 0 && code != 128 + SIGINT) {
      throw Error(std::string(forwarder_tool(kind_)) + " exited with " + std::to_string(code) +
                      ": " + last_line_of(stem_ + ".log"),
                  "see " + stem_ + ".log");
    }
    std::ifstream f(stem_ + ".json");
    if (!f) {
      throw Error(std::string(forwarder_tool(kind_)) + " wrote no result (" +
                      last_line_of(stem_ + ".log") + ")",
                  "see its log " + stem_ + ".log");
    }
    return nlohmann::json::parse(f);
  }

 private:
  ForwarderKind kind_;
  std::string stem_;
  std::optional<ChildProcess> child_;
};

std::optional<long long> at(const nlohmann::json& doc, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_number()) return std::nullopt;
  return doc.at(p).get<long long>();
}

void add_checks(ForwardLatencyRecord& r) {
  const PingPongCounts& n = r.result.packets;
  const auto ll = [](std::uint64_t v) { return static_cast<long long>(v); };
  auto& c = r.checks;
  c.push_back({"every measured ping got its echo (replies = pings)", ll(n.sent), ll(n.replies),
               "the ping's own count", "an echo later than --reply-timeout counts as lost"});
  c.push_back({"echoes failing the payload checks (ping and pong) = 0", 0,
               ll(n.corrupt + n.pong_corrupt), "the ping's and pong's payload checks",
               "sequence, length and pattern as sent"});
  c.push_back({"forwarded by M, both ways = 2 x pings sent by A (warm-up included)",
               ll(2 * r.pings), ll(r.forwarded), "the forwarder's own count",
               "each ping through M to B and its echo back"});
  if (!is_xsk(r.kind)) return;
  std::optional<long long> total = 0, accounted = 0;
  long long broken = 0;
  for (const nlohmann::json& d : r.forwarder_docs) {
    const auto t = at(d, "/counters/frames/total"), a = at(d, "/counters/frames/accounted");
    total = total && t ? std::optional(*total + *t) : std::nullopt;
    accounted = accounted && a ? std::optional(*accounted + *a) : std::nullopt;
    const nlohmann::json::json_pointer inv("/counters/frames/invariant");
    if (!d.contains(inv) || d.at(inv) != "holds") ++broken;
  }
  c.push_back({"UMEM frames accounted at the forwarder's exit = its frames", total, accounted,
               "the forwarder's FrameAllocator", "free, fill, RX, TX or completion: none leaked"});
  c.push_back({"repetitions whose frame table did not add up = 0", 0, broken,
               "FrameAllocator::check_invariant", ""});
}

}  // namespace

std::vector<ForwardLatencyRecord> run_forward_latency(
    const TopologyConfig& topo, const std::vector<ModeSpec>& ends, const ForwardOptions& opts,
    const std::string& work_dir, const std::function<void(const std::string&)>& progress) {
  const LatencyOptions& lo = opts.latency;
  std::vector<ForwardLatencyRecord> records;
  for (const ModeSpec& m : ends) {
    for (const ForwarderKind k : opts.forwarders) {
      ForwardLatencyRecord r(lo.digits);
      r.kind = k;
      r.ends = m.name;
      r.result.mode = to_string(k);
      r.result.payload_bytes = opts.traffic.payload_size;
      r.result.one_way_measured = true;
      records.push_back(std::move(r));
    }
  }
  const std::size_t total = records.size() * static_cast<std::size_t>(lo.reps);
  std::size_t index = 0;
  // Repetitions interleaved, as `copylab latency` does: a drift of this VM spreads over all.
  for (int rep = 1; rep <= lo.reps && !stop_requested(); ++rep) {
    for (ForwardLatencyRecord& r : records) {
      if (stop_requested()) break;
      ++index;
      const ModeSpec* mode = nullptr;
      for (const ModeSpec& m : ends) mode = m.name == r.ends ? &m : mode;
      const EndViews views = end_views(topo, r.kind);
      RunParams p = run_params_for(lo, opts.traffic.payload_size, 0);
      p.port = opts.traffic.dst_port;
      p.pong_topo = &views.pong;
      const std::string stem = work_dir + "/latency-" + to_string(r.kind) + "-" + r.ends +
                               "-rep" + std::to_string(rep) + ".forwarder";
      LatencyForwarder fwd(topo, r.kind, opts, stem);
      OnceOutcome once = run_pingpong_once(*mode, views.ping, p);
      const nlohmann::json doc = fwd.stop();
      once.record.rep = rep;
      r.pings += once.ping.sent + once.ping.warmup_sent;
      r.forwarded += doc.at("result").value("forwarded", std::uint64_t{0});
      r.forwarder_docs.push_back(doc);
      r.result.rtt_all.merge(once.ping.rtt);
      r.result.one_way_all.merge(once.pong.one_way);
      r.result.runs.push_back(std::move(once.record));
      const LatencyStats& s = r.result.runs.back().rtt;
      progress(fmt::format("[{}/{}] {} (ends {}) rep {}: {} pings, RTT p50 {:.1f} us, p99 {:.1f} "
                           "us, {} forwarded by M",
                           index, total, to_string(r.kind), r.ends, rep, s.count, s.p50 / 1000.0,
                           s.p99 / 1000.0, doc.at("result").value("forwarded", std::uint64_t{0})));
    }
  }
  for (ForwardLatencyRecord& r : records) {
    r.result.finish();
    add_checks(r);
  }
  return records;
}

int failed_latency_checks(const std::vector<ForwardLatencyRecord>& records) {
  int n = 0;
  for (const ForwardLatencyRecord& r : records) {
    for (const CheckRow& c : r.checks) n += c.ok() && *c.ok() ? 0 : 1;
  }
  return n;
}

nlohmann::json to_json(const ForwardLatencyRecord& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < r.result.runs.size(); ++i) {
    const LatencyRun& run = r.result.runs[i];
    runs.push_back({{"rep", run.rep},
                    {"rtt", to_json(run.rtt)},
                    {"one_way", to_json(run.one_way)},
                    {"packets", to_json(run.packets)},
                    {"warmup_sent", run.warmup_sent},
                    {"ping_mode", run.ping_mode},
                    {"pong_mode", run.pong_mode},
                    {"forwarder_tool", i < r.forwarder_docs.size() ? r.forwarder_docs[i]
                                                                   : nlohmann::json(nullptr)}});
  }
  return {{"forwarder", to_string(r.kind)},
          {"ends", r.ends},
          {"payload_bytes", r.result.payload_bytes},
          {"reps", r.result.runs.size()},
          {"rtt", to_json(r.result.rtt)},
          {"rtt_merged", to_json(summarize(r.result.rtt_all))},
          {"one_way", to_json(r.result.one_way)},
          {"one_way_merged", to_json(summarize(r.result.one_way_all))},
          {"packets", to_json(r.result.packets)},
          {"pings_sent_with_warmup", r.pings},
          {"forwarded_both_ways", r.forwarded},
          {"checks", to_json(r.checks)},
          {"runs", runs}};
}

}  // namespace copylab
