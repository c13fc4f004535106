#include "traffic/receiver_loop.hpp"

#include <algorithm>
#include <cstdio>

#include "common/clock.hpp"
#include "common/stop.hpp"
#include "packet/frame.hpp"
#include "traffic/stop_file_drain.hpp"

namespace copylab {
namespace {

// Enough for exact percentiles of any run copylab's defaults make; beyond it the first samples
// stand for the run (the summary says how many).
constexpr std::size_t kMaxLatencySamples = 4'000'000;

}  // namespace

ReceiveResult run_receiver(Datapath& dp, const TrafficConfig& cfg, const ReceiverLimits& limits,
                           const std::function<void(const SecondStats&)>& on_second) {
  ReceiveResult r;
  Validator validator(cfg.payload_size);
  std::vector<std::uint32_t> latency;
  latency.reserve(cfg.count != 0 ? std::min<std::uint64_t>(cfg.count, kMaxLatencySamples) : 65536);

  const CpuTimes cpu_start = CpuTimes::now();
  const std::uint64_t start = now_ns();
  const std::uint64_t deadline =
      cfg.duration_s > 0 ? start + static_cast<std::uint64_t>(cfg.duration_s * 1e9) : UINT64_MAX;
  StopFileDrain drain(limits.stop_after_file, limits.drain_s);
  const auto idle_ns =
      drain.enabled() ? 0 : static_cast<std::uint64_t>(limits.idle_timeout_s * 1e9);
  std::uint64_t first = 0, last = 0, second_start = 0, second_frames = 0, second_bytes = 0;

  auto sink = [&](std::span<const std::uint8_t> payload) {
    const std::uint64_t t = now_ns();
    PayloadHeader h;
    if (validator.observe(payload, &h) == PayloadStatus::kOk && latency.size() < kMaxLatencySamples &&
        t > h.send_ns && t - h.send_ns < UINT32_MAX) {
      latency.push_back(static_cast<std::uint32_t>(t - h.send_ns));
    }
    ++second_frames;
    second_bytes += frame_len(payload.size());
  };

  auto emit_second = [&](std::uint64_t now) {
    const double span = static_cast<double>(now - second_start) * 1e-9;
    const auto& c = validator.counts();
    SecondStats s{static_cast<double>(now - first) * 1e-9,
                  second_frames,
                  span > 0 ? static_cast<double>(second_frames) / span : 0,
                  mbit_per_s(second_bytes, span),
                  c.unique,
                  validator.gaps(),
                  c.reordered,
                  c.corrupt,
                  c.duplicates};
    r.per_second.push_back(s);
    if (on_second && limits.per_second) on_second(s);
    second_start = now;
    second_frames = 0;
    second_bytes = 0;
  };

  r.stopped_by = "count";
  while (cfg.count == 0 || validator.counts().unique < cfg.count) {
    if (stop_requested()) {
      r.stopped_by = "signal";
      break;
    }
    const std::size_t got = dp.receive(cfg.batch, sink);
    const std::uint64_t now = now_ns();
    if (got != 0) {
      if (first == 0) first = second_start = now;
      last = now;
    } else {
      if (now >= deadline) {
        r.stopped_by = "duration";
        break;
      }
      if (idle_ns != 0 && last != 0 && now - last >= idle_ns) {
        r.stopped_by = "idle";
        break;
      }
      // Once the sender has finished, what is still queued arrives within the quiet period.
      if (const char* why = drain.idle(now, last)) {
        r.stopped_by = why;
        break;
      }
      dp.wait_rx(std::chrono::milliseconds(50));
    }
    if (first != 0 && now - second_start >= 1'000'000'000ULL) emit_second(now);
    if (now >= deadline) {
      r.stopped_by = "duration";
      break;
    }
  }
  if (first != 0 && second_frames != 0) emit_second(now_ns());

  r.cpu = CpuTimes::now() - cpu_start;
  r.counts = validator.counts();
  r.loss_from_count = cfg.count != 0;
  r.lost = r.loss_from_count ? validator.lost(cfg.count) : validator.gaps();
  r.active_s = last > first ? static_cast<double>(last - first) * 1e-9 : 0;
  r.one_way = summarize_latency(latency);
  r.drained_s = drain.drained_s(now_ns());
  return r;
}

std::string format_second(const SecondStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "%6.1fs  %12s  %9.1f Mbit/s  total %llu  lost %llu  reordered %llu  corrupt %llu",
                s.t_s, format_rate(s.pps).c_str(), s.frame_mbit_s,
                static_cast<unsigned long long>(s.total), static_cast<unsigned long long>(s.gaps),
                static_cast<unsigned long long>(s.reordered),
                static_cast<unsigned long long>(s.corrupt));
  return buf;
}

nlohmann::json to_json(const ReceiveResult& r, const TrafficConfig& cfg) {
  nlohmann::json per_second = nlohmann::json::array();
  for (const auto& s : r.per_second) {
    per_second.push_back({{"t_s", s.t_s}, {"frames", s.frames}, {"pps", s.pps},
                          {"frame_mbit_s", s.frame_mbit_s}, {"total", s.total},
                          {"gaps", s.gaps}, {"reordered", s.reordered}, {"corrupt", s.corrupt}});
  }
  const std::uint64_t bytes = r.counts.unique * frame_len(cfg.payload_size);
  return {{"received", r.counts.unique},
          {"lost", r.lost},
          {"lost_basis", r.loss_from_count ? "expected --count minus unique received"
                                           : "gaps in the sequence (sender count unknown)"},
          {"validator", to_json(r.counts)},
          {"active_s", r.active_s},
          {"pps", r.pps()},
          {"frame_mbit_s", mbit_per_s(bytes, r.active_s)},
          {"payload_mbit_s", mbit_per_s(r.counts.bytes, r.active_s)},
          {"stopped_by", r.stopped_by},
          {"drained_s", r.drained_s},
          {"cpu", to_json(r.cpu)},
          {"one_way_latency", to_json(r.one_way)},
          {"per_second", per_second}};
}

}  // namespace copylab
