#include "evidence/scope.hpp"

#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.hpp"

namespace copylab::trace {

std::string ScopeSpec::describe() const {
  if (empty()) return "unscoped (every event on the machine)";
  std::vector<std::string> parts;
  if (!netns_inums.empty()) parts.push_back(fmt::format("netns {}", fmt::join(netns_inums, ",")));
  if (!pids.empty())
    parts.push_back(fmt::format("pids {}{}", fmt::join(pids, ","),
                                follow_forks ? " (+ children)" : ""));
  if (!ifindexes.empty()) parts.push_back(fmt::format("ifindex {}", fmt::join(ifindexes, ",")));
  if (!ports.empty()) parts.push_back(fmt::format("ports {}", fmt::join(ports, ",")));
  return fmt::format("{}", fmt::join(parts, " and "));
}

nlohmann::json to_json(const ScopeSpec& s) {
  return {{"netns_inums", s.netns_inums}, {"pids", s.pids},   {"follow_forks", s.follow_forks},
          {"ifindexes", s.ifindexes},     {"ports", s.ports}, {"description", s.describe()}};
}

std::uint32_t netns_inode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw_errno("stat", path, errno, "give an existing network namespace (ip netns list)");
  return static_cast<std::uint32_t>(st.st_ino);
}

std::uint32_t named_netns_inode(const std::string& name) {
  return netns_inode("/run/netns/" + name);
}

std::uint32_t current_netns_inode() { return netns_inode("/proc/thread-self/ns/net"); }

}  // namespace copylab::trace
