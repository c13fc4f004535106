#include "packet/validator.hpp"

#include <algorithm>

namespace copylab {

bool Validator::test_and_set(std::uint64_t seq) {
  const std::size_t word = seq / 64;
  if (word >= seen_.size()) seen_.resize(std::max(word + 1, seen_.size() * 2), 0);
  const std::uint64_t bit = 1ULL << (seq % 64);
  const bool was = (seen_[word] & bit) != 0;
  seen_[word] |= bit;
  return was;
}

PayloadStatus Validator::observe(std::span<const std::uint8_t> payload, PayloadHeader* header) {
  ++counts_.received;
  PayloadHeader h;
  PayloadStatus st = payload.empty() ? PayloadStatus::kTooShort : read_payload(payload, h);
  if (st == PayloadStatus::kOk && expected_len_ != 0 && payload.size() != expected_len_) {
    st = PayloadStatus::kBadLength;
  }
  // A sequence number beyond 2^36 (64 Gi frames) cannot come from a real run: treat as corrupt
  // rather than growing the bitset without bound.
  if (st == PayloadStatus::kOk && h.seq >= (1ULL << 36)) st = PayloadStatus::kBadCheck;
  if (st != PayloadStatus::kOk) {
    ++counts_.corrupt;
    return st;
  }
  if (header != nullptr) *header = h;
  if (test_and_set(h.seq)) {
    ++counts_.duplicates;
    return st;
  }
  ++counts_.unique;
  counts_.bytes += payload.size();
  const auto seq = static_cast<std::int64_t>(h.seq);
  if (seq < counts_.highest_seq) {
    ++counts_.reordered;
    counts_.max_reorder_distance = std::max(counts_.max_reorder_distance,
                                            static_cast<std::uint64_t>(counts_.highest_seq - seq));
    if (counts_.first_reordered_seq < 0) {
      counts_.first_reordered_seq = seq;
      counts_.first_reordered_after = counts_.highest_seq;
    }
  } else {
    counts_.highest_seq = seq;
  }
  return st;
}

std::uint64_t Validator::lost(std::uint64_t sent) const noexcept {
  return sent > counts_.unique ? sent - counts_.unique : 0;
}

std::uint64_t Validator::gaps() const noexcept {
  const auto span = static_cast<std::uint64_t>(counts_.highest_seq + 1);
  return span > counts_.unique ? span - counts_.unique : 0;
}

bool Validator::intact(std::uint64_t sent) const noexcept {
  return counts_.unique == sent && counts_.duplicates == 0 && counts_.reordered == 0 &&
         counts_.corrupt == 0 && counts_.highest_seq + 1 == static_cast<std::int64_t>(sent);
}

nlohmann::json to_json(const ValidatorCounts& c) {
  return {{"received", c.received},
          {"unique", c.unique},
          {"duplicates", c.duplicates},
          {"reordered", c.reordered},
          {"corrupt", c.corrupt},
          {"payload_bytes", c.bytes},
          {"highest_seq", c.highest_seq},
          {"max_reorder_distance", c.max_reorder_distance},
          {"first_reordered_seq", c.first_reordered_seq},
          {"first_reordered_after", c.first_reordered_after}};
}

}  // namespace copylab
