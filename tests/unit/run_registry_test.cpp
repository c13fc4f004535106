// Run records and stale-state reclaim on records in a private directory: a live owner's record
// is never touched, a reused pid (same pid, other start time) counts as gone, --dry-run changes
// nothing, a record can never make the reclaim remove a path copylab does not name, and a record
// cut short by SIGKILL (empty or truncated, as a record or as its ".tmp" replacement) is removed
// when its owner is gone and left alone while it runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

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
  // A record file with exactly `text` in it, named as the registry names it.
  static std::string write_raw(pid_t pid, std::uint64_t start, const std::string& suffix,
                               const std::string& text) {
    const std::string path =
        kRunDir + "/" + std::to_string(pid) + "-" + std::to_string(start) + suffix;
    std::ofstream(path, std::ios::binary) << text;
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

// What a SIGKILL between open(O_TRUNC) and the write leaves: an empty "<pid>-<start>.json.tmp".
TEST_F(RunRecords, EmptyTmpRecordOfAGoneRunIsRemoved) {
  const pid_t pid = getpid();
  const std::uint64_t gone = process_start_time(pid) + 1;
  const std::string tmp = write_raw(pid, gone, ".json.tmp", "");
  const auto dry = reclaim_stale_runs(true);
  ASSERT_EQ(dry.size(), 1U);
  EXPECT_TRUE(fs::exists(tmp));  // --dry-run lists, removes nothing
  const auto r = reclaim_stale_runs(false);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].pid, pid);
  EXPECT_NE(r[0].summary().find("empty run record"), std::string::npos) << r[0].summary();
  EXPECT_TRUE(r[0].kept.empty()) << r[0].summary();
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_TRUE(reclaim_stale_runs(false).empty());
}

// A record cut off mid-write: the part that is there is not JSON. Its owner, from the name, is
// gone, so the file goes; a record that is whole (the other name) is still reclaimed from.
TEST_F(RunRecords, TruncatedRecordOfAGoneRunIsRemovedAndTheWholeOneStillReclaimed) {
  const pid_t pid = getpid();
  const std::uint64_t gone = process_start_time(pid) + 1;
  const std::string dir = make_dir("/tmp/copylab-unit-trunc-" + std::to_string(pid));
  const std::string whole = write_record(pid, gone, {{{"kind", "work_dir"}, {"path", dir}}});
  const std::string text = nlohmann::json{{"pid", pid}, {"start_time", gone}, {"cmd", "t"},
                                          {"items", {{{"kind", "work_dir"}, {"path", dir}}}}}
                               .dump();
  const std::string cut = write_raw(pid, gone, ".json.tmp", text.substr(0, text.size() / 2));
  const auto r = reclaim_stale_runs(false);
  ASSERT_EQ(r.size(), 1U);
  const std::string s = r[0].summary();
  EXPECT_NE(s.find("unreadable run record"), std::string::npos) << s;
  EXPECT_NE(s.find("work dir " + dir), std::string::npos) << s;
  EXPECT_NE(s.find("(t, "), std::string::npos) << s;  // the command, from the whole record
  EXPECT_FALSE(fs::exists(cut));
  EXPECT_FALSE(fs::exists(whole));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(reclaim_stale_runs(false).empty());
}

// The ".tmp" replacement that was written in full but not yet renamed is the newer record: what
// it names (e.g. a program id known only after the attach) is reclaimed too.
TEST_F(RunRecords, WholeTmpRecordOfAGoneRunIsReclaimedFrom) {
  const pid_t pid = getpid();
  const std::uint64_t gone = process_start_time(pid) + 1;
  const std::string dir = make_dir("/tmp/copylab-unit-tmp-" + std::to_string(pid));
  const std::string tmp = write_raw(
      pid, gone, ".json.tmp",
      nlohmann::json{{"pid", pid}, {"start_time", gone}, {"cmd", "t"},
                     {"items", {{{"kind", "work_dir"}, {"path", dir}}}}}
          .dump());
  const auto r = reclaim_stale_runs(false);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_NE(r[0].summary().find("work dir " + dir), std::string::npos) << r[0].summary();
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(tmp));
}

// Empty or truncated files of a run that is still going are its owner's, mid-write: never touched.
TEST_F(RunRecords, CutShortRecordsOfALiveRunAreLeftAlone) {
  const pid_t pid = getpid();
  const std::uint64_t live = process_start_time(pid);
  const std::string tmp = write_raw(pid, live, ".json.tmp", "");
  const std::string rec = write_raw(pid, live, ".json", "{\"pid\": 1, \"ite");
  EXPECT_TRUE(reclaim_stale_runs(false).empty());
  EXPECT_TRUE(fs::exists(tmp));
  EXPECT_TRUE(fs::exists(rec));
}

// Items of the wrong shape (a hand-edited or damaged record) are dropped, never thrown on.
TEST_F(RunRecords, ItemsOfTheWrongShapeAreDroppedNotThrownOn) {
  const pid_t pid = getpid();
  write_record(pid, process_start_time(pid) + 1,
               {42, {{"kind", 7}}, {{"kind", "process"}, {"pid", "x"}},
                {{"kind", "work_dir"}, {"path", 3}}});
  std::vector<StaleRunReport> r;
  ASSERT_NO_THROW(r = reclaim_stale_runs(false));
  ASSERT_EQ(r.size(), 1U);
  EXPECT_TRUE(r[0].kept.empty()) << r[0].summary();
  EXPECT_TRUE(reclaim_stale_runs(false).empty());
}

}  // namespace
}  // namespace copylab
