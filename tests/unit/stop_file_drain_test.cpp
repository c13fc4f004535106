// The drain every receiver and forwarder runs once a harness's stop file appears: it ends only
// after a quiet period with the file present (frames after the file postpone it), and at the
// latest after ten quiet periods. Times are given, not read from the clock; the file is real.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "traffic/stop_file_drain.hpp"

namespace copylab {
namespace {

constexpr std::uint64_t kMs = 1'000'000ULL;
constexpr double kQuietS = 0.1;  // 100 ms

std::string stop_file_path() {
  return ::testing::TempDir() + "copylab-stop-file-" + std::to_string(getpid());
}

struct Step {
  std::uint64_t now_ms;
  std::uint64_t last_ms;  // when the last frame arrived (0: none yet)
  const char* want;       // idle()'s answer
};

struct Row {
  const char* name;
  bool file;  // the stop file exists from the start
  std::vector<Step> steps;
};

TEST(StopFileDrain, EndsAfterAQuietPeriodWithTheFilePresentAndAtTheBound) {
  const std::string path = stop_file_path();
  const Row rows[] = {
      {"no file: never ends, however long the quiet", false,
       {{1000, 0, nullptr}, {5000, 1000, nullptr}, {60000, 1000, nullptr}}},
      {"quiet period after the file was first seen", true,
       {{1000, 0, nullptr}, {1099, 0, nullptr}, {1100, 0, "drain"}}},
      {"a frame after the file postpones the end", true,
       {{1000, 0, nullptr}, {1099, 1050, nullptr}, {1149, 1050, nullptr}, {1150, 1050, "drain"}}},
      {"frames keep coming: the bound of ten periods ends it", true,
       {{1000, 0, nullptr}, {1500, 1450, nullptr}, {1999, 1950, nullptr}, {2000, 1990, "drain bound"}}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::remove(path.c_str());
    if (row.file) std::ofstream(path) << "done\n";
    StopFileDrain drain(path, kQuietS);
    EXPECT_TRUE(drain.enabled());
    for (const Step& s : row.steps) {
      SCOPED_TRACE(s.now_ms);
      const char* got = drain.idle(s.now_ms * kMs, s.last_ms * kMs);
      if (s.want == nullptr) {
        EXPECT_EQ(got, nullptr) << got;
      } else {
        ASSERT_NE(got, nullptr);
        EXPECT_STREQ(got, s.want);
      }
    }
  }
  std::remove(path.c_str());
}

TEST(StopFileDrain, WithoutAFileNameItIsOff) {
  StopFileDrain drain("", kQuietS);
  EXPECT_FALSE(drain.enabled());
  EXPECT_EQ(drain.idle(10'000 * kMs, 0), nullptr);
  EXPECT_EQ(drain.drained_s(10'000 * kMs), 0);
}

TEST(StopFileDrain, CountsTheDrainFromTheFilesAppearance) {
  const std::string path = stop_file_path();
  std::remove(path.c_str());
  StopFileDrain drain(path, kQuietS);
  EXPECT_EQ(drain.idle(1000 * kMs, 0), nullptr);  // not there yet
  std::ofstream(path) << "done\n";
  EXPECT_EQ(drain.idle(1005 * kMs, 0), nullptr);  // looked for at most every 10 ms
  EXPECT_EQ(drain.idle(1010 * kMs, 0), nullptr);  // seen now
  EXPECT_DOUBLE_EQ(drain.drained_s(1060 * kMs), 0.05);
  EXPECT_STREQ(drain.idle(1110 * kMs, 0), "drain");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace copylab
