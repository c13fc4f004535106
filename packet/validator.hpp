// Counts what a receiver saw of a sequence stream: unique, duplicates, reordering, corruption,
// and (given how many were sent) loss. Shared by every receiver, socket or AF_XDP.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include "packet/payload.hpp"

namespace copylab {

struct ValidatorCounts {
  std::uint64_t received = 0;    // every payload handed to the validator
  std::uint64_t unique = 0;      // distinct valid sequence numbers
  std::uint64_t duplicates = 0;  // valid payloads whose seq was already seen
  std::uint64_t reordered = 0;   // valid, new, but lower than the highest seq seen
  // The most a reordered frame came late by: the highest seq seen minus its seq (0: none).
  std::uint64_t max_reorder_distance = 0;
  std::int64_t first_reordered_seq = -1;   // the first reordered frame's seq (-1: none)
  std::int64_t first_reordered_after = -1; // the highest seq seen when it arrived
  std::uint64_t corrupt = 0;     // failed header, length or fill checks (or unparsable frame)
  std::uint64_t bytes = 0;       // payload bytes of valid payloads
  std::int64_t highest_seq = -1;
};

// The counts as every receiver's result JSON carries them (`result.validator`, documented in
// report/COMPARE_JSON.md; `bytes` is `payload_bytes` there).
nlohmann::json to_json(const ValidatorCounts& c);

class Validator {
 public:
  // `expected_len`: payload length every frame must have (0 = any length >= header).
  explicit Validator(std::size_t expected_len = 0) : expected_len_(expected_len) {}

  // Returns the status; `header` is filled when it parsed (for latency: send_ns).
  PayloadStatus observe(std::span<const std::uint8_t> payload, PayloadHeader* header = nullptr);

  const ValidatorCounts& counts() const noexcept { return counts_; }
  // Loss against the number the sender says it sent (sent - unique, never negative).
  std::uint64_t lost(std::uint64_t sent) const noexcept;
  // Loss inferred from the highest sequence seen (when the sender's count is unknown).
  std::uint64_t gaps() const noexcept;
  // Sequence is intact: every seq 0..sent-1 seen exactly once, in order, nothing corrupt.
  bool intact(std::uint64_t sent) const noexcept;
  nlohmann::json to_json() const { return copylab::to_json(counts_); }

 private:
  bool test_and_set(std::uint64_t seq);
  std::size_t expected_len_;
  ValidatorCounts counts_;
  std::vector<std::uint64_t> seen_;  // bitset over seq
};

}  // namespace copylab
