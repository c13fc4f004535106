// How a datapath waits for data, in one type with one spelling: the tools' --wait values, the
// latency modes and the JSON all print it with to_string and read it with parse_wait_policy.
// Header-only so every folder can name it without linking a datapath.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace copylab {

enum class WaitPolicy {
  kBlock,     // socket: blocking recv (one wakeup per datagram)
  kSpin,      // non-blocking polling of the ring / MSG_DONTWAIT
  kPoll,      // poll(2) on the fd
  kBusyPoll,  // SO_BUSY_POLL + SO_PREFER_BUSY_POLL, then spin
};

// "block", "spin", "poll", "busy-poll": the names --wait takes and JSON carries.
constexpr const char* to_string(WaitPolicy w) noexcept {
  switch (w) {
    case WaitPolicy::kBlock: return "block";
    case WaitPolicy::kSpin: return "spin";
    case WaitPolicy::kPoll: return "poll";
    case WaitPolicy::kBusyPoll: return "busy-poll";
  }
  return "?";
}

// Whether a datapath waiting this way keeps its CPU while no data comes (polls without sleeping).
constexpr bool spins(WaitPolicy w) noexcept {
  return w == WaitPolicy::kSpin || w == WaitPolicy::kBusyPoll;
}

// The exact names to_string prints; nullopt for anything else.
constexpr std::optional<WaitPolicy> parse_wait_policy(std::string_view text) noexcept {
  constexpr std::array<WaitPolicy, 4> kAll{WaitPolicy::kBlock, WaitPolicy::kSpin,
                                           WaitPolicy::kPoll, WaitPolicy::kBusyPoll};
  for (const WaitPolicy w : kAll) {
    if (text == to_string(w)) return w;
  }
  return std::nullopt;
}

}  // namespace copylab
