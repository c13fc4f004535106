// What this run owns in the kernel and on disk (namespaces, XDP programs, mounts, tracefs
// instances, work directories, child processes), kept in /run/copylab/runs/<pid>-<start>.json.
// Each item is written before the resource is made (or right after, when only the kernel can
// name it) and dropped when the resource is gone, so a run ended by SIGKILL leaves a record from
// which the next run reclaims what it owned. The file exists only while the run owns something.
// <start> is the owner's start time from /proc/<pid>/stat, so a reused pid is never mistaken
// for the owner.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace copylab {

// Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); 0 when the
// process is gone or a zombie.
std::uint64_t process_start_time(pid_t pid);
// True when `pid` runs and is the process that started at `start_time`.
bool process_alive(pid_t pid, std::uint64_t start_time);
// The process's command line, arguments joined by spaces, shortened to `max_len` characters.
std::string process_command_line(pid_t pid, std::size_t max_len = 120);

// Where run records live: $COPYLAB_RUN_DIR if set, else /run/copylab/runs.
std::string run_state_dir();
// "<dir>/<pid>-<start>.json" of this process (created on its first record).
std::string own_run_record_path();

// The network namespace the calling thread is in, for a record: its name under /run/netns ("" for
// one without a name there, e.g. the host's) and its inode (to check the name still means it).
struct NetnsRef {
  std::string name;
  std::uint64_t inode = 0;
};
NetnsRef current_netns_ref();

// One item of this run's record. Destroying it (or forget()) removes the item; leave() keeps it
// in the record for the next run to reclaim (the resource could not be removed).
class OwnedState {
 public:
  OwnedState() = default;
  OwnedState(OwnedState&& other) noexcept;
  OwnedState& operator=(OwnedState&& other) noexcept;
  OwnedState(const OwnedState&) = delete;
  OwnedState& operator=(const OwnedState&) = delete;
  ~OwnedState();

  // Replaces the item (e.g. the XDP program id, known only once attached).
  void update(nlohmann::json item);
  void forget() noexcept;
  void leave() noexcept;

 private:
  friend OwnedState record_owned(nlohmann::json item);
  explicit OwnedState(std::uint64_t id) : id_(id) {}
  std::uint64_t id_ = 0;
};

// Adds `item` ({"kind": ..., ...}) to this run's record and writes the file before returning.
// Never throws: where the record cannot be written (no root, read-only /run) the run goes on
// untracked, and says so once at debug level. Kinds: "netns" {names, marker_dir}, "xdp" {netns,
// netns_inode, ifindex, dev, prog_id}, "mount" {path, fstype}, "tracefs_instance" {path},
// "work_dir" {path}, "file" {path}, "process" {pid, start_time, cmd}.
OwnedState record_owned(nlohmann::json item);

}  // namespace copylab
