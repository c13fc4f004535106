#include "latency/results.hpp"

#include <cmath>

namespace copylab {

void PingPongCounts::add(const PingPongCounts& o) {
  sent += o.sent;
  replies += o.replies;
  lost += o.lost;
  stale += o.stale;
  corrupt += o.corrupt;
  send_failures += o.send_failures;
  behind_schedule += o.behind_schedule;
  pong_echoed += o.pong_echoed;
  pong_corrupt += o.pong_corrupt;
}

nlohmann::json to_json(const PingPongCounts& c) {
  return {{"sent", c.sent},
          {"replies", c.replies},
          {"lost", c.lost},
          {"stale", c.stale},
          {"corrupt", c.corrupt},
          {"send_failures", c.send_failures},
          {"behind_schedule", c.behind_schedule},
          {"pong_echoed", c.pong_echoed},
          {"pong_corrupt", c.pong_corrupt}};
}

void ConfigResult::finish() {
  std::vector<LatencyStats> r, rc, ow;
  std::vector<SplitStats> ows, rs;
  packets = {};
  for (const auto& run : runs) {
    ows.push_back(run.one_way_split);
    rs.push_back(run.rtt_split);
    r.push_back(run.rtt);
    if (rate_pps > 0) rc.push_back(run.rtt_corrected);
    if (one_way_measured) ow.push_back(run.one_way);
    packets.add(run.packets);
  }
  rtt = summarize_runs(r);
  rtt_corrected = summarize_runs(rc);
  one_way = summarize_runs(ow);
  one_way_split.finish(ows);
  rtt_split.finish(rs);
}

std::optional<double> SockperfResult::percentile(const std::string& key) const {
  for (const auto& [k, v] : percentiles_us) {
    if (k == key) return v;
  }
  return std::nullopt;
}

nlohmann::json to_json(const SockperfResult& s) {
  nlohmann::json p = nlohmann::json::object();
  for (const auto& [k, v] : s.percentiles_us) p[k] = v;
  return {{"variant", s.variant},
          {"compare_with", s.compare_with},
          {"ran", s.ran},
          {"error", s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error)},
          {"command", s.command},
          {"observations", s.observations},
          {"avg_rtt_us", s.avg_rtt_us},
          {"rtt_percentiles_us", p}};
}

const ConfigResult* LatencyResults::find(const std::string& mode, std::size_t size,
                                         double rate) const {
  for (const auto& c : configs) {
    if (c.mode == mode && c.payload_bytes == size && c.rate_pps == rate) return &c;
  }
  return nullptr;
}

namespace {

nlohmann::json run_json(const LatencyRun& run, bool paced, bool one_way) {
  return {{"rep", run.rep},
          {"rtt", to_json(run.rtt)},
          {"rtt_corrected", paced ? to_json(run.rtt_corrected) : nlohmann::json(nullptr)},
          {"one_way", one_way ? to_json(run.one_way) : nlohmann::json(nullptr)},
          {"one_way_split", to_json(run.one_way_split)},
          {"rtt_split", to_json(run.rtt_split)},
          {"packets", to_json(run.packets)},
          {"achieved_rate_pps", run.achieved_rate_pps},
          {"elapsed_s", static_cast<double>(run.elapsed_ns) / 1e9},
          {"truncated", run.truncated},
          {"stop_reason", run.stop_reason},
          {"warmup_sent", run.warmup_sent},
          {"warmup_note", run.warmup_note.empty() ? nlohmann::json(nullptr)
                                                  : nlohmann::json(run.warmup_note)},
          {"ping_mode", run.ping_mode},
          {"pong_mode", run.pong_mode},
          {"ping_counters", run.ping_counters},
          {"pong_counters", run.pong_counters}};
}

}  // namespace

std::optional<double> LatencyResults::p50_ratio(const ConfigResult& c,
                                                std::string_view reference) const {
  const ConfigResult* ref = find(std::string(reference), c.payload_bytes, c.rate_pps);
  if (!ref) return std::nullopt;
  const Spread* mine = c.rtt.find("p50");
  const Spread* theirs = ref->rtt.find("p50");
  if (!mine || !theirs || theirs->median <= 0) return std::nullopt;
  return mine->median / theirs->median;
}

nlohmann::json to_json(const LatencyResults& r) {
  auto ratio = [&](const ConfigResult& c, std::string_view reference) {
    const auto v = r.p50_ratio(c, reference);
    return v ? nlohmann::json(std::round(*v * 1000.0) / 1000.0) : nlohmann::json(nullptr);
  };
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : r.modes) {
    modes.push_back({{"name", m.name},
                     {"description", m.description},
                     {"ping", to_json(m.ping)},
                     {"pong", to_json(m.pong)}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& c : r.configs) {
    const bool paced = c.rate_pps > 0;
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& run : c.runs) runs.push_back(run_json(run, paced, c.one_way_measured));
    results.push_back(
        {{"mode", c.mode},
         {"payload_bytes", c.payload_bytes},
         {"rate_pps", c.rate_pps},
         {"reps", c.runs.size()},
         {"error", c.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.error)},
         {"rtt", to_json(c.rtt)},
         {"rtt_merged", to_json(summarize(c.rtt_all))},
         {"rtt_corrected", paced ? to_json(c.rtt_corrected) : nlohmann::json(nullptr)},
         {"rtt_corrected_merged",
          paced ? to_json(summarize(c.rtt_corrected_all)) : nlohmann::json(nullptr)},
         {"one_way", c.one_way_measured ? to_json(c.one_way) : nlohmann::json(nullptr)},
         {"one_way_merged",
          c.one_way_measured ? to_json(summarize(c.one_way_all)) : nlohmann::json(nullptr)},
         {"one_way_split", to_json(c.one_way_split)},
         {"rtt_split", to_json(c.rtt_split)},
         {"packets", to_json(c.packets)},
         {"rtt_p50_x_floor", ratio(c, kFloorMode)},
         {"rtt_p50_x_baseline", ratio(c, kBaselineMode)},
         {"runs", runs}});
  }
  nlohmann::json sockperf = nlohmann::json::array();
  for (const auto& s : r.sockperf) sockperf.push_back(to_json(s));
  return {{"schema", kLatencySchema},
          {"meta", r.meta},
          {"baseline", std::string(kBaselineMode)},
          {"floor", std::string(kFloorMode)},
          {"base_payload_bytes", r.base_size},
          {"modes", modes},
          {"results", results},
          {"sockperf", sockperf}};
}

}  // namespace copylab
