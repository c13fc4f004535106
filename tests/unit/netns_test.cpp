// netns/: namespace entry errors and the fixture's naming rules (no root needed).
#include <gtest/gtest.h>

#include <net/if.h>

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"

using namespace copylab;

TEST(NetnsScope, MissingNamespaceNamesTheFix) {
  try {
    NetnsScope scope("copylab-no-such-netns-42");
    FAIL() << "entered a namespace that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    const std::string line = e.one_line();
    EXPECT_NE(line.find("no network namespace 'copylab-no-such-netns-42'"), std::string::npos) << line;
    EXPECT_NE(line.find("ip netns list"), std::string::npos) << line;
    EXPECT_NE(line.find("netns/setup.sh"), std::string::npos) << line;
    EXPECT_NE(line.find("--netns"), std::string::npos) << line;
  }
}

TEST(NetnsScope, RejectsPathLikeNames) {
  EXPECT_THROW(NetnsScope("../etc"), Error);
  EXPECT_FALSE(netns_exists("."));
  EXPECT_FALSE(netns_exists("a/b"));
}

TEST(NetnsScope, EmptyNameStaysInCurrentNamespace) {
  NetnsScope scope("");
  EXPECT_FALSE(scope.entered());
}

TEST(TopologyNames, UniqueNamesFitIfnamsizAndDiffer) {
  const TopologyConfig a = unique_topology_config("socket->socket test with a long tag");
  const TopologyConfig b = unique_topology_config("socket->socket test with a long tag");
  for (const std::string* dev : {&a.dev_a, &a.dev_b, &b.dev_a, &b.dev_b}) {
    EXPECT_LT(dev->size(), static_cast<std::size_t>(IFNAMSIZ)) << *dev;
  }
  EXPECT_NE(a.ns_a, b.ns_a);
  EXPECT_NE(a.dev_a, b.dev_a);
  EXPECT_NE(a.ns_a, a.ns_b);
  EXPECT_NE(a.dev_a, a.dev_b);
  EXPECT_NE(a.ns_a.find(std::to_string(getpid())), std::string::npos);
  EXPECT_EQ(a.ns_a.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos);
}

TEST(TopologyNames, ScriptArgsCarryEveryField) {
  TopologyConfig cfg;
  cfg.prefix = 16;
  const auto args = topology_script_args(cfg);
  const auto value_of = [&](const std::string& flag) {
    auto it = std::find(args.begin(), args.end(), flag);
    return it == args.end() || it + 1 == args.end() ? std::string("<missing>") : *(it + 1);
  };
  EXPECT_EQ(value_of("--ns-a"), "ns1");
  EXPECT_EQ(value_of("--dev-b"), "veth2");
  EXPECT_EQ(value_of("--mac-b"), "00:00:00:00:00:02");
  EXPECT_EQ(value_of("--ip-a"), "10.0.0.1");
  EXPECT_EQ(value_of("--prefix"), "16");
}

TEST(Command, CapturesOutputAndExitCode) {
  const CommandResult r = run_command({"sh", "-c", "echo out; echo first >&2; echo last >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.last_error_line(), "last");
  EXPECT_THROW(run_command({"/nonexistent/copylab-tool"}), Error);
}

TEST(SetupScript, BadInputIsOneLineAndExitTwo) {
  // Validation happens before any privilege check or change, so this runs without root.
  const std::string setup = netns_script_dir() + "/setup.sh";
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--mac-a", "00:00:00:00:00"},
           {"--ip-b", "10.0.0.300"},
           {"--prefix", "33"},
           {"--dev-a", "a-device-name-too-long"},
           {"--ns-a", "same", "--ns-b", "same"},
           {"--ip-b", "10.0.1.2"},
           {"--bogus"}}) {
    std::vector<std::string> argv{setup};
    argv.insert(argv.end(), bad.begin(), bad.end());
    const CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("Fix:"), std::string::npos) << r.err;
  }
}
