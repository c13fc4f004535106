#include "latency/pingpong.hpp"

#include <time.h>

#include "common/clock.hpp"
#include "common/stop.hpp"
#include "packet/payload.hpp"

namespace copylab {

namespace {

constexpr std::size_t kRxBurst = 16;
constexpr int kSendRetries = 64;

// Sleeps most of a long gap (so a paced ping leaves the CPU to the pong when they share one)
// and spins the last stretch, where a timer wakeup would add its own latency.
void wait_until(std::uint64_t due_ns) {
  constexpr std::uint64_t kSpinWindowNs = 100'000;
  std::uint64_t now = now_ns();
  if (due_ns > now + 2 * kSpinWindowNs) {
    const std::uint64_t sleep_ns = due_ns - now - kSpinWindowNs;
    timespec ts{static_cast<time_t>(sleep_ns / 1'000'000'000ULL),
                static_cast<long>(sleep_ns % 1'000'000'000ULL)};
    nanosleep(&ts, nullptr);
  }
  while (now_ns() < due_ns && !stop_requested()) {
  }
}

}  // namespace

double PingResult::achieved_rate_pps() const noexcept {
  return elapsed_ns ? static_cast<double>(sent) * 1e9 / static_cast<double>(elapsed_ns) : 0.0;
}

PingResult run_ping(Datapath& dp, const PingConfig& cfg, const std::atomic<bool>* peer_stamped) {
  PingResult r(cfg.significant_digits);
  const std::uint64_t timeout_ns =
      static_cast<std::uint64_t>(cfg.reply_timeout.count()) * 1'000'000ULL;
  const std::uint64_t interval_ns =
      cfg.rate_pps > 0 ? static_cast<std::uint64_t>(1e9 / cfg.rate_pps) : 0;
  const std::uint64_t run_start = now_ns();
  const std::uint64_t run_deadline =
      run_start + static_cast<std::uint64_t>(cfg.max_duration.count()) * 1'000'000ULL;
  std::uint64_t measured_start = run_start;
  std::uint64_t schedule_start = run_start;
  KernelRxSplitter split(dp, cfg.kernel_rx_split, r.rtt_split);
  // Warm-up pings: cfg.warmup, then more until both sides deliver kernel RX timestamps.
  std::uint64_t warmups = cfg.warmup;
  bool own_stamped = !split.active();
  const bool peer_splits = cfg.kernel_rx_split && peer_stamped != nullptr;
  auto stamps_on = [&] {
    return own_stamped && (!peer_splits || peer_stamped->load(std::memory_order_acquire));
  };
  const std::uint64_t stamp_deadline =
      run_start + static_cast<std::uint64_t>(cfg.stamp_warmup_bound.count()) * 1'000'000ULL;

  for (std::uint64_t seq = 0; seq < warmups + cfg.count; ++seq) {
    if (stop_requested()) {
      r.truncated = true;
      r.stop_reason = "stopped by signal";
      break;
    }
    if (now_ns() >= run_deadline) {
      r.truncated = true;
      r.stop_reason = "duration bound reached";
      break;
    }
    if (seq == warmups && r.warmup_note.empty() && !stamps_on()) {
      if (now_ns() < stamp_deadline) {
        ++warmups;
      } else {
        r.warmup_note = std::string("no kernel RX timestamp yet on the ") +
                        (own_stamped ? "pong" : "ping") + " side after " +
                        std::to_string(r.warmup_sent) + " warm-up pings (" +
                        std::to_string(cfg.stamp_warmup_bound.count()) +
                        " ms bound): samples without one count as missing_timestamp";
      }
    }
    const bool warmup = seq < warmups;
    if (seq == warmups) measured_start = schedule_start = now_ns();
    if (interval_ns) {
      const std::uint64_t index = warmup ? seq : seq - warmups;
      const std::uint64_t due = (warmup ? run_start : schedule_start) + index * interval_ns;
      wait_until(due);
      if (!warmup && now_ns() > due + interval_ns) ++r.behind_schedule;
    }
    if (split.active()) split.maybe_refresh(now_ns());

    const std::uint8_t flags =
        static_cast<std::uint8_t>(kFlagPing | (warmup ? kFlagWarmup : 0));
    std::uint64_t sent_at = 0;
    auto fill = [&](std::span<std::uint8_t> payload) {
      sent_at = now_ns();
      write_payload(payload, seq, sent_at, flags);
    };
    std::size_t queued = 0;
    for (int attempt = 0; attempt < kSendRetries && queued == 0; ++attempt) {
      queued = dp.send(1, fill);
      if (queued == 0) dp.flush();
    }
    if (queued == 0) {
      ++r.send_failures;
      continue;
    }
    dp.flush();
    (warmup ? r.warmup_sent : r.sent) += 1;

    // Wait for this ping's echo; anything older is a late echo of a ping already counted lost.
    bool matched = false;
    const std::uint64_t reply_deadline = sent_at + timeout_ns;
    auto sink = [&](std::span<const std::uint8_t> payload, const RxMeta& meta) {
      const std::uint64_t t = now_ns();
      PayloadHeader h;
      if (payload.empty() || read_payload(payload, h) != PayloadStatus::kOk) {
        ++r.corrupt;
        return;
      }
      if (h.seq != seq) {
        ++r.stale;
        return;
      }
      matched = true;
      if (warmup) {
        if (meta.has_kernel_rx()) own_stamped = true;
        return;
      }
      const std::uint64_t rtt = t > h.send_ns ? t - h.send_ns : 0;
      r.rtt.record(rtt);
      if (interval_ns) r.rtt_corrected.record_corrected(rtt, interval_ns);
      split.record(h.send_ns, meta, t);
    };
    // wait_rx first: for a blocking socket the blocking recv *is* the wait, and receive() then
    // hands over what it fetched without another syscall.
    while (!matched) {
      const std::uint64_t now = now_ns();
      if (now >= reply_deadline || stop_requested()) break;
      const auto left_ms = static_cast<std::int64_t>((reply_deadline - now) / 1'000'000ULL) + 1;
      if (dp.wait_rx(std::chrono::milliseconds(left_ms))) dp.receive_with_meta(kRxBurst, sink);
    }
    if (!matched && stop_requested()) {
      // Interrupted while waiting: this ping was abandoned, not lost.
      if (!warmup) --r.sent;
      continue;
    }
    if (!warmup) (matched ? r.replies : r.lost) += 1;
  }
  dp.flush();
  r.elapsed_ns = now_ns() - measured_start;
  split.finish();
  return r;
}

void run_pong(Datapath& dp, const std::atomic<bool>& done, PongResult& out,
              bool kernel_rx_split, std::atomic<bool>* stamped) {
  KernelRxSplitter split(dp, kernel_rx_split, out.one_way_split);
  bool stamp_seen = !split.active();
  if (stamped != nullptr && stamp_seen) stamped->store(true, std::memory_order_release);
  auto seen = [&](std::span<const std::uint8_t> payload, const RxMeta& meta) {
    const std::uint64_t t = now_ns();
    // Before the echo leaves: the ping reads it once the echo is in.
    if (!stamp_seen && meta.has_kernel_rx()) {
      stamp_seen = true;
      if (stamped != nullptr) stamped->store(true, std::memory_order_release);
    }
    PayloadHeader h;
    if (payload.empty() || read_payload(payload, h) != PayloadStatus::kOk) {
      ++out.corrupt;
      return;
    }
    if ((h.flags & kFlagWarmup) == 0 && t > h.send_ns) {
      out.one_way.record(t - h.send_ns);
      split.record(h.send_ns, meta, t);
    }
  };
  while (!done.load(std::memory_order_relaxed) && !stop_requested()) {
    const std::size_t n = dp.echo_with_meta(kRxBurst, seen);
    out.echoed += n;
    if (n == 0) {
      if (split.active()) split.maybe_refresh(now_ns());
      dp.wait_rx(std::chrono::milliseconds(10));
    }
  }
  dp.flush();
  split.finish();
}

}  // namespace copylab
