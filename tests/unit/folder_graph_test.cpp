// No folder of copylab includes a folder that includes it back, directly or around a circle.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "folder_graph.hpp"

namespace fs = std::filesystem;
using copylab::test::find_cycle;
using copylab::test::FolderGraph;
using copylab::test::read_folder_graph;

namespace {

// Folders that are not part of the product's layering: tests and benchmarks may include anything.
// (Build trees, every folder named build*, are skipped by read_folder_graph itself.)
const std::set<std::string> kNotLayers = {"tests", "bench", "scripts", "cmake"};

std::string describe(const FolderGraph& g, const std::vector<std::string>& cycle) {
  std::string out;
  for (std::size_t i = 0; i + 1 < cycle.size(); ++i) {
    const auto& site = g.edges.at(cycle[i]).at(cycle[i + 1]);
    out += "  " + cycle[i] + " -> " + cycle[i + 1] + "  (" + site.file + ":" +
           std::to_string(site.line) + ": " + site.target + ")\n";
  }
  return out;
}

class ScratchTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("copylab-test-" + std::to_string(::getpid()) + "-folder-graph");
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  fs::path root_;
};

}  // namespace

TEST(FolderGraph, CopylabHasNoFolderCycle) {
  const FolderGraph g = read_folder_graph(COPYLAB_SOURCE_DIR, kNotLayers);
  // The tree was read: the front end includes the harness and the harness includes common.
  ASSERT_TRUE(g.edges.count("cli") && g.edges.at("cli").count("harness"));
  ASSERT_TRUE(g.edges.count("harness") && g.edges.at("harness").count("common"));
  const auto cycle = find_cycle(g);
  EXPECT_FALSE(cycle) << "folder cycle:\n" << describe(g, *cycle);
}

TEST_F(ScratchTree, FindsACycleThroughThreeFolders) {
  write("a/x.cpp", "#include \"b/y.hpp\"\n");
  write("b/y.hpp", "#pragma once\n#include \"c/z.hpp\"\n");
  write("c/sub/z.cpp", "  #  include \"a/x.hpp\"\n");
  write("c/z.hpp", "#include \"c/w.hpp\"\n#include <a/system.hpp>\n");
  const FolderGraph g = read_folder_graph(root_, {});
  const auto cycle = find_cycle(g);
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle->size(), 4u);
  EXPECT_EQ(cycle->front(), cycle->back());
  EXPECT_NE(describe(g, *cycle).find("c/sub/z.cpp:1"), std::string::npos) << describe(g, *cycle);
}

TEST_F(ScratchTree, AcyclicTreeAndExcludedFoldersPass) {
  write("cli/m.cpp", "#include \"core/a.hpp\"\n#include \"tests/t.hpp\"\n");
  write("core/a.hpp", "#include \"core/b.hpp\"\n");
  write("tests/t.hpp", "#include \"cli/m.hpp\"\n");
  const FolderGraph g = read_folder_graph(root_, {"tests"});
  EXPECT_FALSE(find_cycle(g));
  EXPECT_EQ(g.edges.at("cli").size(), 1u);  // tests/ is not a layer: no edge to it
}

TEST_F(ScratchTree, EveryBuildTreeIsSkipped) {
  // A build tree's generated sources may include anything; a folder named build* makes no edge,
  // so cli -> build-release -> cli is not a cycle.
  write("cli/m.cpp", "#include \"build-release/gen.hpp\"\n#include \"buildx/g.hpp\"\n");
  write("build-release/gen.hpp", "#include \"cli/m.hpp\"\n");
  write("buildx/g.hpp", "#include \"cli/m.hpp\"\n");
  write("build/g.hpp", "#include \"cli/m.hpp\"\n");
  const FolderGraph g = read_folder_graph(root_, {});
  EXPECT_FALSE(find_cycle(g));
  EXPECT_EQ(g.edges.count("cli"), 0u);
  EXPECT_EQ(g.edges.count("build-release"), 0u);
}
