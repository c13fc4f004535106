// The receivers' result JSON as copylab compare, the lab's jq lines and the harness read it:
// `result.validator` carries every count under the key report/COMPARE_JSON.md documents.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "traffic/receiver_loop.hpp"

namespace copylab {
namespace {

// The keys COMPARE_JSON.md lists under runs[].<side>.result.validator.
std::set<std::string> documented_validator_keys() {
  std::ifstream f(std::string(COPYLAB_SOURCE_DIR) + "/report/COMPARE_JSON.md");
  EXPECT_TRUE(f.good()) << "report/COMPARE_JSON.md is missing";
  const std::string prefix = "| `runs[].<side>.result.validator.";
  std::set<std::string> keys;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    keys.insert(line.substr(prefix.size(), line.find('`', prefix.size()) - prefix.size()));
  }
  return keys;
}

// Every count has its own value, so a key that carries another field's count shows.
ReceiveResult distinct_counts() {
  ReceiveResult r;
  r.counts.received = 101;
  r.counts.unique = 102;
  r.counts.duplicates = 103;
  r.counts.reordered = 104;
  r.counts.max_reorder_distance = 105;
  r.counts.first_reordered_seq = 106;
  r.counts.first_reordered_after = 107;
  r.counts.corrupt = 108;
  r.counts.bytes = 109;
  r.counts.highest_seq = 110;
  return r;
}

TEST(ReceiverJson, ValidatorHasEveryDocumentedKeyAndNoOther) {
  const nlohmann::json v = to_json(distinct_counts(), TrafficConfig{})["validator"];
  ASSERT_TRUE(v.is_object()) << v.dump();
  std::set<std::string> emitted;
  for (const auto& item : v.items()) emitted.insert(item.key());
  const std::set<std::string> documented = documented_validator_keys();
  ASSERT_GE(documented.size(), 10U) << "the validator rows of COMPARE_JSON.md were not found";
  EXPECT_EQ(emitted, documented);
}

struct KeyRow {
  const char* key;
  long long value;  // what distinct_counts() put in the field the key carries
};

std::string key_name(const ::testing::TestParamInfo<KeyRow>& p) { return p.param.key; }

class ValidatorKey : public ::testing::TestWithParam<KeyRow> {};

TEST_P(ValidatorKey, CarriesItsCount) {
  const nlohmann::json v = to_json(distinct_counts(), TrafficConfig{})["validator"];
  ASSERT_TRUE(v.contains(GetParam().key)) << v.dump();
  EXPECT_EQ(v[GetParam().key].get<long long>(), GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(
    Receiver, ValidatorKey,
    ::testing::Values(KeyRow{"received", 101}, KeyRow{"unique", 102}, KeyRow{"duplicates", 103},
                      KeyRow{"reordered", 104}, KeyRow{"max_reorder_distance", 105},
                      KeyRow{"first_reordered_seq", 106}, KeyRow{"first_reordered_after", 107},
                      KeyRow{"corrupt", 108}, KeyRow{"payload_bytes", 109},
                      KeyRow{"highest_seq", 110}),
    key_name);

// Validator::to_json() is the same builder: one set of keys wherever the counts are written.
TEST(ReceiverJson, ValidatorsOwnJsonIsTheReceivers) {
  Validator empty;
  EXPECT_EQ(empty.to_json(), to_json(ReceiveResult{}, TrafficConfig{})["validator"]);
}

}  // namespace
}  // namespace copylab
