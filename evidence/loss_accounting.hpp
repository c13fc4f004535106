// Where a run's lost frames went, from the kernel's own counters: sent = received + each named
// drop counter + what no counter explains. A failed check then points at the counter that holds
// the frames (e.g. Udp NoPorts) instead of leaving only the counter that was expected to.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "evidence/run_counts.hpp"

namespace copylab {

// One counter that holds lost frames.
struct LossDrop {
  std::string counter;  // "Udp NoPorts (namespace B)", "XSK rx_dropped", ...
  std::string source;   // where it was read
  std::string meaning;  // what the kernel counts there
  long long frames = 0;
};

struct LossAccount {
  long long sent = 0;
  long long received = 0;
  long long lost = 0;  // sent - received
  std::vector<LossDrop> drops;  // disjoint: each frame is counted by one
  long long explained = 0;
  long long unexplained = 0;
  std::vector<std::string> also;  // further facts (e.g. how often the fill ring was empty)
  std::string text;               // "sent … = received … + … + unexplained …"
};

// nullopt when the sender's or the receiver's count is missing.
std::optional<LossAccount> explain_loss(const RunCounts& run);

// {sent, received, lost, drops: [{counter, source, meaning, frames}], explained, unexplained,
//  also: ["..."], text}
nlohmann::json to_json(const LossAccount& a);

// 15172 → "15,172".
std::string with_commas(long long n);

}  // namespace copylab
