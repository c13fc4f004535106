// The folder graph of a source tree: an edge A -> B for every `#include "B/..."` in a file under
// A/, and the cycles in it. Folders are the architecture (front end above harness above datapaths
// above evidence above common), so a cycle means two folders that cannot be understood apart.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace copylab::test {

// One include that makes an edge: which file, which line, what it includes.
struct IncludeSite {
  std::string file;
  int line = 0;
  std::string target;
};

struct FolderGraph {
  // from -> to -> the first include site that makes the edge
  std::map<std::string, std::map<std::string, IncludeSite>> edges;
};

// Reads every C/C++ source and header under `root`'s top-level folders, skipping `excluded`
// folders (tests, scripts) and every build tree (a folder whose name starts with "build"). Includes of files in the same folder or outside the tree's folders
// make no edge.
FolderGraph read_folder_graph(const std::filesystem::path& root,
                              const std::set<std::string>& excluded);

// A cycle as the list of folders along it (first == last), or nothing.
std::optional<std::vector<std::string>> find_cycle(const FolderGraph& g);

}  // namespace copylab::test
