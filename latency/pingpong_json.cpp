#include "latency/pingpong_json.hpp"

#include "common/error.hpp"

namespace copylab {

namespace {

// The reason the side split nothing (a split it measured cannot travel: only its reason does).
std::string split_reason(const KernelRxSplit& s) {
  return s.measured ? "measured in another process: not carried over" : s.not_measured;
}

template <typename Fn>
auto read_doc(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("the ") + what + " result document is malformed: " + e.what(),
                "use the same copylab build for every side");
  }
}

}  // namespace

nlohmann::json to_json(const PingResult& r) {
  return {{"rtt", r.rtt.to_json()},
          {"rtt_corrected", r.rtt_corrected.to_json()},
          {"rtt_split_not_measured", split_reason(r.rtt_split)},
          {"sent", r.sent},
          {"warmup_sent", r.warmup_sent},
          {"warmup_note", r.warmup_note},
          {"replies", r.replies},
          {"lost", r.lost},
          {"stale", r.stale},
          {"corrupt", r.corrupt},
          {"send_failures", r.send_failures},
          {"behind_schedule", r.behind_schedule},
          {"elapsed_ns", r.elapsed_ns},
          {"truncated", r.truncated},
          {"stop_reason", r.stop_reason}};
}

nlohmann::json to_json(const PongResult& r) {
  return {{"one_way", r.one_way.to_json()},
          {"one_way_split_not_measured", split_reason(r.one_way_split)},
          {"echoed", r.echoed},
          {"corrupt", r.corrupt}};
}

PingResult ping_result_from_json(const nlohmann::json& j, int digits) {
  return read_doc("ping", [&] {
    PingResult r(digits);
    r.rtt = LatencyHistogram::from_json(j.at("rtt"), digits);
    r.rtt_corrected = LatencyHistogram::from_json(j.at("rtt_corrected"), digits);
    r.rtt_split.not_measured = j.at("rtt_split_not_measured").get<std::string>();
    r.sent = j.at("sent").get<std::uint64_t>();
    r.warmup_sent = j.at("warmup_sent").get<std::uint64_t>();
    r.warmup_note = j.at("warmup_note").get<std::string>();
    r.replies = j.at("replies").get<std::uint64_t>();
    r.lost = j.at("lost").get<std::uint64_t>();
    r.stale = j.at("stale").get<std::uint64_t>();
    r.corrupt = j.at("corrupt").get<std::uint64_t>();
    r.send_failures = j.at("send_failures").get<std::uint64_t>();
    r.behind_schedule = j.at("behind_schedule").get<std::uint64_t>();
    r.elapsed_ns = j.at("elapsed_ns").get<std::uint64_t>();
    r.truncated = j.at("truncated").get<bool>();
    r.stop_reason = j.at("stop_reason").get<std::string>();
    return r;
  });
}

PongResult pong_result_from_json(const nlohmann::json& j, int digits) {
  return read_doc("pong", [&] {
    PongResult r(digits);
    r.one_way = LatencyHistogram::from_json(j.at("one_way"), digits);
    r.one_way_split.not_measured = j.at("one_way_split_not_measured").get<std::string>();
    r.echoed = j.at("echoed").get<std::uint64_t>();
    r.corrupt = j.at("corrupt").get<std::uint64_t>();
    return r;
  });
}

}  // namespace copylab
