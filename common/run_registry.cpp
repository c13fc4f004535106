#include "common/run_registry.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

namespace copylab {
namespace {

// The fields of /proc/<pid>/stat after the command name, which is in parentheses and may itself
// hold spaces and parentheses (proc(5)): split after the last ')'.
std::vector<std::string> stat_fields_after_comm(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state), fields[19] is field 22 (starttime)
}

struct Registry {
  std::mutex mutex;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string path;
  std::map<std::uint64_t, nlohmann::json> items;
  std::uint64_t next_id = 1;
  bool warned = false;

  // A forked child (before exec) shares the parent's copy of this object: it must not write.
  bool mine() const { return pid == ::getpid(); }

  void write_locked() {
    if (!mine()) return;
    std::error_code ec;
    if (items.empty()) {
      std::filesystem::remove(path, ec);
      return;
    }
    std::filesystem::create_directories(run_state_dir(), ec);
    nlohmann::json doc{{"pid", pid},
                       {"start_time", start_time},
                       {"cmd", process_command_line(pid)},
                       {"items", nlohmann::json::array()}};
    for (const auto& entry : items) doc["items"].push_back(entry.second);
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << doc.dump() << '\n';
      if (!out) {
        if (!warned) spdlog::debug("run record {} not writable: runs go untracked", tmp);
        warned = true;
        return;
      }
    }
    // rename(2) replaces the record atomically: a reader sees the old or the new one.
    std::filesystem::rename(tmp, path, ec);
    if (ec && !warned) {
      spdlog::debug("run record {}: {}", path, ec.message());
      warned = true;
    }
  }
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: OwnedState destructors run at static exit
    reg->pid = ::getpid();
    reg->start_time = process_start_time(reg->pid);
    reg->path = run_state_dir() + "/" + std::to_string(reg->pid) + "-" +
                std::to_string(reg->start_time) + ".json";
    return reg;
  }();
  // After fork() the child's copy names the parent: re-derive it before a child records anything.
  if (r->pid != ::getpid()) {
    std::lock_guard lock(r->mutex);
    r->pid = ::getpid();
    r->start_time = process_start_time(r->pid);
    r->path = run_state_dir() + "/" + std::to_string(r->pid) + "-" +
              std::to_string(r->start_time) + ".json";
    r->items.clear();
  }
  return *r;
}

}  // namespace

std::uint64_t process_start_time(pid_t pid) {
  const std::vector<std::string> f = stat_fields_after_comm(pid);
  if (f.size() < 20 || f[0] == "Z" || f[0] == "X") return 0;
  return std::strtoull(f[19].c_str(), nullptr, 10);
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  return pid > 0 && start_time != 0 && process_start_time(pid) == start_time;
}

std::string process_command_line(pid_t pid, std::size_t max_len) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  // The program's own name, not the build directory it runs from.
  const std::size_t space = raw.find(' ');
  const std::size_t slash = raw.rfind('/', space);
  if (slash != std::string::npos) raw.erase(0, slash + 1);
  if (raw.size() > max_len) raw = raw.substr(0, max_len - 3) + "...";
  return raw;
}

std::string run_state_dir() {
  if (const char* dir = std::getenv("COPYLAB_RUN_DIR"); dir != nullptr && *dir != '\0') return dir;
  return "/run/copylab/runs";
}

std::string own_run_record_path() { return registry().path; }

NetnsRef current_netns_ref() {
  NetnsRef ref;
  struct stat self {};
  if (::stat("/proc/thread-self/ns/net", &self) != 0) return ref;
  ref.inode = self.st_ino;
  DIR* dir = ::opendir("/run/netns");
  if (dir == nullptr) return ref;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::stat(("/run/netns/" + name).c_str(), &st) == 0 && st.st_ino == self.st_ino &&
        st.st_dev == self.st_dev) {
      ref.name = name;
      break;
    }
  }
  ::closedir(dir);
  return ref;
}

OwnedState record_owned(nlohmann::json item) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const std::uint64_t id = r.next_id++;
  r.items[id] = std::move(item);
  r.write_locked();
  return OwnedState(id);
}

OwnedState::OwnedState(OwnedState&& other) noexcept : id_(std::exchange(other.id_, 0)) {}

OwnedState& OwnedState::operator=(OwnedState&& other) noexcept {
  if (this != &other) {
    forget();
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

OwnedState::~OwnedState() { forget(); }

void OwnedState::update(nlohmann::json item) {
  if (id_ == 0) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.items[id_] = std::move(item);
  r.write_locked();
}

void OwnedState::forget() noexcept {
  if (id_ == 0) return;
  try {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.items.erase(id_);
    r.write_locked();
  } catch (...) {
    // A record that cannot be rewritten stays as it was: the next run reclaims from it.
  }
  id_ = 0;
}

void OwnedState::leave() noexcept { id_ = 0; }

}  // namespace copylab
