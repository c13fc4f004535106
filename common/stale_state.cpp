#include "common/stale_state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <thread>

#include "common/bpf_prog_owner.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "common/run_registry.hpp"

namespace copylab {
namespace {

// copylab's own temporary names, directly in /tmp or in $TMPDIR (where work dirs are made), with
// no ".." that could climb out of them.
bool is_copylab_temp_path(const std::string& path) {
  if (path.find("..") != std::string::npos) return false;
  std::string tmp = temp_dir();
  while (tmp.size() > 1 && tmp.back() == '/') tmp.pop_back();
  return path.rfind("/tmp/copylab-", 0) == 0 || path.rfind(tmp + "/copylab-", 0) == 0;
}

namespace fs = std::filesystem;
using nlohmann::json;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Runs `f` in a helper thread that entered /run/netns/<name> (setns is per thread), checking the
// name still refers to namespace `inode`. An empty name means the caller's own namespace.
// Returns false when the namespace is gone or is another one now.
template <typename F>
bool in_netns(const std::string& name, std::uint64_t inode, F&& f) {
  if (name.empty()) {
    f();
    return true;
  }
  const std::string path = "/run/netns/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (inode != 0 && st.st_ino != inode)) {
    ::close(fd);
    return false;
  }
  bool entered = false;
  std::thread t([&] {
    if (::setns(fd, CLONE_NEWNET) == 0) {
      entered = true;
      f();
    }
  });
  t.join();
  ::close(fd);
  return entered;
}

struct Reclaimer {
  bool dry_run;
  StaleRunReport& report;

  void done(const std::string& what) { report.removed.push_back(what); }
  void kept(const std::string& what) { report.kept.push_back(what); }

  // The item stays in the record when it could not be reclaimed (returns false).
  bool process(const json& item) {
    const auto pid = item.value("pid", 0);
    const auto start = item.value("start_time", std::uint64_t{0});
    const std::string what = "process " + std::to_string(pid) + " (" + item.value("cmd", "") + ")";
    if (!process_alive(pid, start)) return true;
    if (dry_run) return done(what), true;
    ::kill(pid, SIGTERM);
    for (int waited = 0; waited < 5000 && process_alive(pid, start); waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (process_alive(pid, start)) ::kill(pid, SIGKILL);
    done(what);
    return true;
  }

  bool xdp(const json& item) {
    const std::string ns = item.value("netns", "");
    const std::string dev = item.value("dev", "");
    const int ifindex = item.value("ifindex", 0);
    const auto prog_id = item.value("prog_id", std::uint32_t{0});
    const std::string where = dev + (ns.empty() ? "" : " in " + ns);
    if (prog_id == 0) return true;  // killed before the attach finished: nothing to name
    if (bpf_prog_name(prog_id).empty()) return true;  // the program (and its attachment) is gone
    const std::string what = "XDP program id " + std::to_string(prog_id) + " on " + where;
    if (dry_run) return done(what), true;
    int err = 0;
    if (!in_netns(ns, item.value("netns_inode", std::uint64_t{0}),
                  [&] { err = detach_xdp_prog(ifindex, prog_id); })) {
      return true;  // the namespace went, and the device and its program with it
    }
    if (err != 0 && err != ENODEV) {
      kept(what + " (" + errno_text(err) + ")");
      return false;
    }
    done(what);
    return true;
  }

  bool tracefs_instance(const json& item) {
    const std::string path = item.value("path", "");
    if (path.find("/instances/copylab-") == std::string::npos || ::access(path.c_str(), F_OK) != 0)
      return true;
    if (dry_run) return done("tracefs instance " + path), true;
    if (::rmdir(path.c_str()) != 0) {
      kept("tracefs instance " + path + " (" + errno_text(errno) + ")");
      return false;
    }
    done("tracefs instance " + path);
    return true;
  }

  bool mount(const json& item) {
    const std::string path = item.value("path", "");
    const std::string type = item.value("fstype", "");
    const auto magic = type == "bpf" ? BPF_FS_MAGIC : type == "tracefs" ? TRACEFS_MAGIC : 0;
    struct statfs st {};
    const bool mounted =
        magic != 0 && ::statfs(path.c_str(), &st) == 0 && st.f_type == static_cast<decltype(st.f_type)>(magic);
    const bool private_dir = type == "bpf" && starts_with(path, "/run/copylab-bpffs-");
    if (!mounted && !(private_dir && ::access(path.c_str(), F_OK) == 0)) return true;
    const std::string what = (mounted ? type + " mount " : "mount point ") + path;
    if (dry_run) return done(what), true;
    // bpffs: lazily, so a pinned object in use elsewhere does not keep the mount point busy.
    if (mounted && ::umount2(path.c_str(), type == "bpf" ? MNT_DETACH : 0) != 0) {
      kept(what + " (" + errno_text(errno) + ")");
      return false;
    }
    if (private_dir) ::rmdir(path.c_str());
    done(what);
    return true;
  }

  bool netns(const json& item) {
    const std::string marker_dir = item.value("marker_dir", "/run/copylab/netns");
    bool all = true;
    for (const auto& n : item.value("names", json::array())) {
      const std::string name = n.get<std::string>();
      const std::string path = "/run/netns/" + name;
      const std::string marker = marker_dir + "/" + name + ".owner";
      const bool exists = ::access(path.c_str(), F_OK) == 0;
      const bool marked = ::access(marker.c_str(), F_OK) == 0;
      if (!exists) {
        if (marked && !dry_run) ::unlink(marker.c_str());
        continue;
      }
      if (!marked) {
        kept("namespace " + name + " (no copylab ownership marker: not copylab's to delete)");
        continue;
      }
      if (dry_run) {
        done("namespace " + name);
        continue;
      }
      // What `ip netns del` does (iproute2 ip/ipnetns.c netns_delete): detach the bind mount
      // that keeps the namespace alive and remove its name.
      ::umount2(path.c_str(), MNT_DETACH);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        kept("namespace " + name + " (" + errno_text(errno) + ")");
        all = false;
        continue;
      }
      ::unlink(marker.c_str());
      done("namespace " + name);
    }
    return all;
  }

  bool path_item(const json& item, bool directory) {
    const std::string path = item.value("path", "");
    // Only copylab's own temporary names: a record can never make this remove anything else.
    if (!is_copylab_temp_path(path)) return true;
    std::error_code ec;
    if (!fs::exists(path, ec)) return true;
    const std::string what = (directory ? "work dir " : "file ") + path;
    if (dry_run) return done(what), true;
    if (directory) {
      fs::remove_all(path, ec);
    } else {
      fs::remove(path, ec);
    }
    if (ec) {
      kept(what + " (" + ec.message() + ")");
      return false;
    }
    done(what);
    return true;
  }
};

// Reclaims one record in dependency order: processes first (they hold namespaces, programs and
// mounts), then programs, instances, mounts, namespaces, files.
json reclaim_record(const json& doc, StaleRunReport& report, bool dry_run) {
  Reclaimer r{dry_run, report};
  json left = json::array();
  const json items = doc.value("items", json::array());
  for (const char* kind :
       {"process", "xdp", "tracefs_instance", "mount", "netns", "work_dir", "file"}) {
    for (const json& item : items) {
      if (!item.is_object()) continue;
      const auto it = item.find("kind");
      if (it == item.end() || !it->is_string() || *it != kind) continue;
      const std::string k = kind;
      bool ok = true;
      try {
        if (k == "process") ok = r.process(item);
        if (k == "xdp") ok = r.xdp(item);
        if (k == "tracefs_instance") ok = r.tracefs_instance(item);
        if (k == "mount") ok = r.mount(item);
        if (k == "netns") ok = r.netns(item);
        if (k == "work_dir") ok = r.path_item(item, true);
        if (k == "file") ok = r.path_item(item, false);
      } catch (const json::exception&) {
        // A field of the wrong type: the item names nothing this reclaim can act on.
        r.done("unreadable " + k + " item " + item.dump().substr(0, 80));
      }
      if (!ok) left.push_back(item);
    }
  }
  return left;
}

// Holds an exclusive flock on <dir>/.lock for its lifetime.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) {
    fd_ = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};


// Run records are "<pid>-<start>.json" and, while one is rewritten, "<pid>-<start>.json.tmp"
// (common/run_registry.cpp): the owner is in the name, so a record that is empty or cut short
// still names whose it is.
struct RecordName {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string key;  // "<pid>-<start>"
};

std::optional<RecordName> parse_record_name(const std::string& filename) {
  std::string key = filename;
  for (const char* suffix : {".json.tmp", ".json"}) {
    const std::string s = suffix;
    if (key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0) {
      key.resize(key.size() - s.size());
      break;
    }
  }
  if (key == filename) return std::nullopt;
  unsigned long long pid = 0;
  unsigned long long start = 0;
  int used = 0;
  if (std::sscanf(key.c_str(), "%llu-%llu%n", &pid, &start, &used) != 2 ||
      static_cast<std::size_t>(used) != key.size() || pid == 0 || pid > 0x7fffffffULL ||
      std::to_string(pid) + "-" + std::to_string(start) != key) {
    return std::nullopt;
  }
  return RecordName{static_cast<pid_t>(pid), start, key};
}

struct RecordText {
  json doc;             // the record, or null when it is not one
  std::string problem;  // "empty" or "unreadable" when it is not
};

RecordText read_record(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {nullptr, "empty"};
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() ||
      (doc.contains("items") && !doc["items"].is_array())) {
    return {nullptr, "unreadable"};
  }
  return {std::move(doc), ""};
}

// As the owner writes it: a whole file under another name, then rename(2).
void write_record_atomically(const std::string& path, const json& doc) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump() << '\n';
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

}  // namespace

std::string StaleRunReport::summary() const {
  std::string s = "run " + std::to_string(pid) + " (" + cmd + ", no longer running): ";
  std::string list;
  for (const std::string& r : removed) list += (list.empty() ? "" : ", ") + r;
  s += list.empty() ? "nothing left" : list;
  for (const std::string& k : kept) s += "; kept " + k;
  return s;
}

std::vector<StaleRunReport> reclaim_stale_runs(bool dry_run) {
  std::vector<StaleRunReport> out;
  const std::string dir = run_state_dir();
  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) return out;
  DirLock lock(dir);
  if (!lock.held()) return out;
  // One run's files: its record and the record's replacement that SIGKILL may have cut short.
  std::map<std::string, std::pair<RecordName, std::vector<std::string>>> runs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::optional<RecordName> name = parse_record_name(entry.path().filename().string());
    if (!name) continue;
    auto& run = runs.try_emplace(name->key, *name, std::vector<std::string>{}).first->second;
    run.second.push_back(entry.path().string());
  }
  for (auto& [key, run] : runs) {
    const RecordName& owner = run.first;
    // A live run's files are never touched, whole or not: its owner may be writing them.
    if (process_alive(owner.pid, owner.start_time)) continue;
    StaleRunReport report;
    report.pid = owner.pid;
    json doc{{"pid", owner.pid}, {"start_time", owner.start_time}, {"items", json::array()}};
    std::sort(run.second.begin(), run.second.end());  // "<key>.json" before "<key>.json.tmp"
    for (const std::string& path : run.second) {
      const RecordText rec = read_record(path);
      if (!rec.doc.is_object()) {
        report.removed.push_back(rec.problem + " run record " + fs::path(path).filename().string());
        continue;
      }
      // The replacement, when whole, is newer (it was written, not yet renamed): both are read,
      // since reclaiming an item twice finds it gone the second time.
      if (report.cmd.empty() && rec.doc.contains("cmd") && rec.doc["cmd"].is_string())
        report.cmd = rec.doc["cmd"].get<std::string>();
      for (const json& item : rec.doc.value("items", json::array())) {
        if (std::find(doc["items"].begin(), doc["items"].end(), item) == doc["items"].end())
          doc["items"].push_back(item);
      }
    }
    if (report.cmd.empty()) report.cmd = "command not recorded";
    doc["cmd"] = report.cmd;
    const json left = reclaim_record(doc, report, dry_run);
    if (!dry_run) {
      const std::string record = dir + "/" + key + ".json";
      for (const std::string& path : run.second) fs::remove(path, ec);
      if (!left.empty()) {
        doc["items"] = left;
        write_record_atomically(record, doc);
      }
    }
    out.push_back(std::move(report));
  }
  return out;
}

void reclaim_stale_runs_at_start() noexcept {
  try {
    for (const StaleRunReport& r : reclaim_stale_runs(false)) {
      if (r.removed.empty() && r.kept.empty()) continue;
      spdlog::info("copylab: reclaimed stale state of {}", r.summary());
    }
  } catch (const std::exception& e) {
    spdlog::debug("checking for stale copylab state: {}", e.what());
  }
}

}  // namespace copylab
