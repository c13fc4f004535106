#include "folder_graph.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>

namespace copylab::test {

namespace fs = std::filesystem;

namespace {

bool is_source(const fs::path& p) {
  static const std::set<std::string> kExt = {".cpp", ".hpp", ".c", ".h"};
  return kExt.count(p.extension().string()) != 0;
}

// A build tree (build, build-asan, build-release, ...): generated files, not a layer.
bool is_build_tree(const std::string& name) { return name.rfind("build", 0) == 0; }

}  // namespace

FolderGraph read_folder_graph(const fs::path& root, const std::set<std::string>& excluded) {
  std::set<std::string> folders;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name[0] != '.' && !is_build_tree(name) &&
        excluded.count(name) == 0) folders.insert(name);
  }
  static const std::regex kInclude(R"(^\s*#\s*include\s*"([^"/]+)/[^"]+")");
  FolderGraph g;
  for (const auto& from : folders) {
    for (const auto& e : fs::recursive_directory_iterator(root / from)) {
      if (!e.is_regular_file() || !is_source(e.path())) continue;
      std::ifstream in(e.path());
      std::string text;
      int line = 0;
      while (std::getline(in, text)) {
        ++line;
        std::smatch m;
        if (!std::regex_search(text, m, kInclude)) continue;
        const std::string to = m[1];
        if (to == from || folders.count(to) == 0) continue;
        g.edges[from].try_emplace(
            to, IncludeSite{fs::relative(e.path(), root).string(), line, text});
      }
    }
  }
  return g;
}

std::optional<std::vector<std::string>> find_cycle(const FolderGraph& g) {
  enum class Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::optional<std::vector<std::string>> found;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    mark[n] = Mark::kOnPath;
    path.push_back(n);
    if (auto it = g.edges.find(n); it != g.edges.end()) {
      for (const auto& [to, site] : it->second) {
        if (found) break;
        const Mark m = mark.count(to) ? mark[to] : Mark::kNew;
        if (m == Mark::kOnPath) {
          std::vector<std::string> cycle(std::find(path.begin(), path.end(), to), path.end());
          cycle.push_back(to);
          found = cycle;
        } else if (m == Mark::kNew) {
          visit(to);
        }
      }
    }
    path.pop_back();
    mark[n] = Mark::kDone;
  };
  for (const auto& [n, _] : g.edges) {
    if (found) break;
    if (!mark.count(n)) visit(n);
  }
  return found;
}

}  // namespace copylab::test
