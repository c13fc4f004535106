// Where a run's lost frames went, from the kernel's own counters: sent = received + each named
// drop counter + what no counter explains. A failed check then points at the counter that holds
// the frames (e.g. Udp NoPorts) instead of leaving only the counter that was expected to.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace copylab {

struct RunRecord;

// {sent, received, lost, drops: [{counter, source, meaning, frames}], explained, unexplained,
//  also: ["..."], text: "sent … = received … + … + unexplained …"}; null when the sender's or
// the receiver's count is missing. The named drops are disjoint: each frame is counted by one.
nlohmann::json explain_loss(const RunRecord& rec);

// 15172 → "15,172".
std::string with_commas(long long n);

}  // namespace copylab
