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

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
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
      if (item.value("kind", "") != kind) continue;
      const std::string k = kind;
      bool ok = true;
      if (k == "process") ok = r.process(item);
      if (k == "xdp") ok = r.xdp(item);
      if (k == "tracefs_instance") ok = r.tracefs_instance(item);
      if (k == "mount") ok = r.mount(item);
      if (k == "netns") ok = r.netns(item);
      if (k == "work_dir") ok = r.path_item(item, true);
      if (k == "file") ok = r.path_item(item, false);
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
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(path);
    json doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) continue;  // half-written: its owner is writing
    const auto pid = doc.value("pid", 0);
    const auto start = doc.value("start_time", std::uint64_t{0});
    if (process_alive(pid, start)) continue;  // a live run: never touched
    StaleRunReport report;
    report.pid = pid;
    report.cmd = doc.value("cmd", "");
    const json left = reclaim_record(doc, report, dry_run);
    if (!dry_run) {
      if (left.empty()) {
        fs::remove(path, ec);
      } else {
        doc["items"] = left;
        std::ofstream(path, std::ios::trunc) << doc.dump() << '\n';
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
