// Run records and stale-state reclaim on records in a private directory: a live owner's record
// is never touched, a reused pid (same pid, other start time) counts as gone, --dry-run changes
// nothing, and a record can never make the reclaim remove a path copylab does not name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/run_registry.hpp"
#include "common/stale_state.hpp"

namespace copylab {
namespace {

namespace fs = std::filesystem;

// The run directory is read once per process: set it before any test touches the registry.
const std::string kRunDir = [] {
  const std::string dir = "/tmp/copylab-unit-runs-" + std::to_string(getpid());
  setenv("COPYLAB_RUN_DIR", dir.c_str(), 1);
  return dir;
}();

class RunRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(kRunDir);
    fs::create_directories(kRunDir);
  }
  void TearDown() override { fs::remove_all(kRunDir); }

  static std::string write_record(pid_t pid, std::uint64_t start, const nlohmann::json& items) {
    const std::string path =
        kRunDir + "/" + std::to_string(pid) + "-" + std::to_string(start) + ".json";
    std::ofstream(path) << nlohmann::json{{"pid", pid}, {"start_time", start}, {"cmd", "t"},
                                          {"items", items}}
                               .dump();
    return path;
  }
  static std::string make_dir(const std::string& path) {
    fs::create_directories(path);
    return path;
  }
};

TEST_F(RunRecords, StartTimeTellsAReusedPidFromItsOwner) {
  const std::uint64_t start = process_start_time(getpid());
  ASSERT_NE(start, 0U);
  EXPECT_TRUE(process_alive(getpid(), start));
  EXPECT_FALSE(process_alive(getpid(), start + 1));
  EXPECT_FALSE(process_alive(getpid(), 0));
}

TEST_F(RunRecords, FileExistsExactlyWhileTheRunOwnsSomething) {
  const std::string path = own_run_record_path();
  EXPECT_EQ(fs::path(path).parent_path().string(), kRunDir);
  EXPECT_FALSE(fs::exists(path));
  {
    OwnedState a = record_owned({{"kind", "file"}, {"path", "/tmp/copylab-unit-a"}});
    OwnedState b = record_owned({{"kind", "file"}, {"path", "/tmp/copylab-unit-b"}});
    ASSERT_TRUE(fs::exists(path));
    std::ifstream in(path);
    const auto doc = nlohmann::json::parse(in);
    EXPECT_EQ(doc.at("pid"), getpid());
    EXPECT_EQ(doc.at("items").size(), 2U);
    a.forget();
    std::ifstream again(path);
    EXPECT_EQ(nlohmann::json::parse(again).at("items").size(), 1U);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(RunRecords, LiveOwnersRecordIsNeverReclaimed) {
  const std::string dir = make_dir("/tmp/copylab-unit-live-" + std::to_string(getpid()));
  const std::string rec = write_record(getpid(), process_start_time(getpid()),
                                       {{{"kind", "work_dir"}, {"path", dir}}});
  EXPECT_TRUE(reclaim_stale_runs(false).empty());
  EXPECT_TRUE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(rec));
  fs::remove_all(dir);
}

TEST_F(RunRecords, ReusedPidIsStaleDryRunListsAndRemovesNothing) {
  const std::string dir = make_dir("/tmp/copylab-unit-dead-" + std::to_string(getpid()));
  const std::string rec = write_record(getpid(), process_start_time(getpid()) + 1,
                                       {{{"kind", "work_dir"}, {"path", dir}}});
  const auto dry = reclaim_stale_runs(true);
  ASSERT_EQ(dry.size(), 1U);
  ASSERT_EQ(dry[0].removed.size(), 1U);
  EXPECT_NE(dry[0].removed[0].find(dir), std::string::npos);
  EXPECT_TRUE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(rec));

  const auto done = reclaim_stale_runs(false);
  ASSERT_EQ(done.size(), 1U);
  EXPECT_NE(done[0].summary().find("work dir " + dir), std::string::npos) << done[0].summary();
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(rec));
  EXPECT_TRUE(reclaim_stale_runs(false).empty());  // nothing twice
}

TEST_F(RunRecords, RecordCannotNameAPathOutsideCopylabsOwn) {
  const std::string other = make_dir("/tmp/not-copylab-unit-" + std::to_string(getpid()));
  const std::string sneaky = "/tmp/copylab-unit-x/../not-copylab-unit-" + std::to_string(getpid());
  write_record(getpid(), process_start_time(getpid()) + 1,
               {{{"kind", "work_dir"}, {"path", other}},
                {{"kind", "work_dir"}, {"path", sneaky}},
                {{"kind", "file"}, {"path", "/etc/hostname"}},
                {{"kind", "netns"}, {"names", {"cl-unit-never-made"}}, {"marker_dir", kRunDir}}});
  const auto r = reclaim_stale_runs(false);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_TRUE(r[0].removed.empty()) << r[0].summary();
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists("/etc/hostname"));
  fs::remove_all(other);
}

}  // namespace
}  // namespace copylab
