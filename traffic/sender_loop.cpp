#include "traffic/sender_loop.hpp"

#include <time.h>

#include <algorithm>

#include "common/clock.hpp"
#include "common/stop.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "traffic/pacer.hpp"

namespace copylab {
namespace {

constexpr std::uint64_t kDrainTimeoutNs = 2'000'000'000ULL;

void sleep_until(std::uint64_t due_ns) {
  // Sleep only for long gaps: nanosleep's wakeup latency would otherwise break the pacing.
  const std::uint64_t now = now_ns();
  if (due_ns <= now + 100'000) return;
  const std::uint64_t gap = due_ns - now - 50'000;
  timespec ts{static_cast<time_t>(gap / 1'000'000'000ULL),
              static_cast<long>(gap % 1'000'000'000ULL)};
  nanosleep(&ts, nullptr);
}

}  // namespace

SendResult run_sender(Datapath& dp, const TrafficConfig& cfg) {
  SendResult r;
  const CpuTimes cpu_start = CpuTimes::now();
  const std::uint64_t start = now_ns();
  const std::uint64_t deadline =
      cfg.duration_s > 0 ? start + static_cast<std::uint64_t>(cfg.duration_s * 1e9) : UINT64_MAX;
  const Pacer pacer(cfg.rate_pps, start, cfg.batch);
  std::uint64_t seq = 0;
  auto fill = [&seq](std::span<std::uint8_t> payload) { write_payload(payload, seq++, now_ns()); };

  r.stopped_by = "count";
  while (cfg.count == 0 || r.sent < cfg.count) {
    if (stop_requested()) {
      r.stopped_by = "signal";
      break;
    }
    const std::uint64_t now = now_ns();
    if (now >= deadline) {
      r.stopped_by = "duration";
      break;
    }
    std::uint64_t want = pacer.allowance(now, r.sent);
    if (cfg.count != 0) want = std::min(want, cfg.count - r.sent);
    if (want == 0) {
      dp.flush();
      sleep_until(pacer.next_due_ns(r.sent));
      continue;
    }
    r.sent += dp.send(want, fill);
    dp.flush();
  }
  // Drain: wait (bounded) until the kernel has taken every queued frame.
  const std::uint64_t drain_end = now_ns() + kDrainTimeoutNs;
  std::size_t in_flight = dp.flush();
  while (in_flight != 0 && now_ns() < drain_end && !stop_requested()) in_flight = dp.flush();
  r.in_flight_end = in_flight;
  r.elapsed_s = static_cast<double>(now_ns() - start) * 1e-9;
  r.cpu = CpuTimes::now() - cpu_start;
  return r;
}

nlohmann::json to_json(const SendResult& r, const TrafficConfig& cfg) {
  return {{"sent", r.sent},
          {"in_flight_at_end", r.in_flight_end},
          {"elapsed_s", r.elapsed_s},
          {"pps", r.pps()},
          {"payload_mbit_s", mbit_per_s(r.sent * cfg.payload_size, r.elapsed_s)},
          {"frame_mbit_s", mbit_per_s(r.sent * frame_len(cfg.payload_size), r.elapsed_s)},
          {"stopped_by", r.stopped_by},
          {"cpu", to_json(r.cpu)}};
}

}  // namespace copylab
