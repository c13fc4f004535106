// netns/: the Topology fixture and the setup/teardown scripts against the real kernel. Every test
// makes its own uniquely named namespaces and removes them, also when it fails.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "common/error.hpp"
#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"

using namespace copylab;

namespace {

bool listed(const std::string& ns) {
  const CommandResult r = run_command({"ip", "netns", "list"});
  // Lines are "<name>" or "<name> (id: N)".
  const std::string text = "\n" + r.out;
  return text.find("\n" + ns + "\n") != std::string::npos ||
         text.find("\n" + ns + " ") != std::string::npos;
}

std::string setup_path() { return netns_script_dir() + "/setup.sh"; }
std::string teardown_path() { return netns_script_dir() + "/teardown.sh"; }

CommandResult script(const std::string& path, const TopologyConfig& cfg,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{path};
  const auto args = topology_script_args(cfg);
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv);
}

// Everything setup.sh configures, as text, to compare two runs.
std::string snapshot(const TopologyConfig& cfg) {
  std::string s;
  for (const auto& [ns, dev] : {std::pair{cfg.ns_a, cfg.dev_a}, std::pair{cfg.ns_b, cfg.dev_b}}) {
    s += run_command({"ip", "-n", ns, "-d", "link", "show", "dev", dev}).out;
    s += run_command({"ip", "-n", ns, "addr", "show"}).out;
    s += run_command({"ip", "-n", ns, "neigh", "show"}).out;
    s += run_command({"ip", "-n", ns, "route", "show"}).out;
    s += run_in_netns(ns, {"sysctl", "-n", "net.ipv6.conf.all.disable_ipv6"}).out;
  }
  return s;
}

// A namespace the test makes by hand (not via setup.sh), removed on scope exit.
struct ForeignNetns {
  std::string name;
  explicit ForeignNetns(std::string n) : name(std::move(n)) {
    if (!run_command({"ip", "netns", "add", name}).ok()) throw std::runtime_error("ip netns add " + name);
  }
  ~ForeignNetns() { run_command({"ip", "netns", "del", name}); }
  ForeignNetns(const ForeignNetns&) = delete;
  ForeignNetns& operator=(const ForeignNetns&) = delete;
};

// One UDP datagram from side A to side B through the veth, sockets bound to the devices.
bool udp_crosses(const TopologyConfig& cfg) {
  int rx = -1;
  {
    NetnsScope in_b(cfg.ns_b);
    rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(9999);
    addr.sin_addr.s_addr = cfg.ip_b.be;
    if (bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
    timeval tv{2, 0};
    setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  {
    NetnsScope in_a(cfg.ns_a);
    const int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    setsockopt(tx, SOL_SOCKET, SO_BINDTODEVICE, cfg.dev_a.c_str(),
               static_cast<socklen_t>(cfg.dev_a.size()));
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(9999);
    dst.sin_addr.s_addr = cfg.ip_b.be;
    const char msg[] = "copylab";
    sendto(tx, msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
    close(tx);
  }
  char buf[64];
  const ssize_t n = recv(rx, buf, sizeof(buf), 0);
  close(rx);
  return n == 8 && std::string(buf) == "copylab";
}

}  // namespace

TEST(Topology, CreateThenDestroyLeavesNothing) {
  TopologyConfig cfg;
  {
    Topology topo = Topology::create_unique("topo");
    cfg = topo.config();
    EXPECT_TRUE(topo.owned());
    EXPECT_TRUE(listed(cfg.ns_a));
    EXPECT_TRUE(listed(cfg.ns_b));
    {
      NetnsScope in_a(cfg.ns_a);
      EXPECT_NE(if_nametoindex(cfg.dev_a.c_str()), 0U);
      EXPECT_EQ(if_nametoindex(cfg.dev_b.c_str()), 0U);  // the peer lives in the other namespace
    }
    EXPECT_TRUE(udp_crosses(cfg));
  }
  EXPECT_FALSE(listed(cfg.ns_a));
  EXPECT_FALSE(listed(cfg.ns_b));
  EXPECT_FALSE(netns_exists(cfg.ns_a));
}

TEST(Topology, ExceptionInsideStillRemovesEverything) {
  TopologyConfig cfg;
  try {
    Topology topo = Topology::create_unique("throw");
    cfg = topo.config();
    NetnsScope in_a(cfg.ns_a);
    throw std::runtime_error("test failed midway");
  } catch (const std::runtime_error&) {
  }
  ASSERT_FALSE(cfg.ns_a.empty());
  EXPECT_FALSE(listed(cfg.ns_a));
  EXPECT_FALSE(listed(cfg.ns_b));
}

TEST(Topology, MovedFromDoesNotTearDown) {
  Topology a = Topology::create_unique("move");
  const TopologyConfig cfg = a.config();
  {
    Topology b = std::move(a);
    EXPECT_FALSE(a.owned());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(netns_exists(cfg.ns_a));
  }
  EXPECT_FALSE(netns_exists(cfg.ns_a));
}

TEST(Topology, RefusesExistingNamespaceAndAdoptKeepsIt) {
  Topology owner = Topology::create_unique("adopt");
  EXPECT_THROW(Topology::create(owner.config()), Error);
  {
    Topology adopted = Topology::adopt(owner.config());
    EXPECT_FALSE(adopted.owned());
  }
  EXPECT_TRUE(netns_exists(owner.config().ns_a));
  EXPECT_TRUE(udp_crosses(owner.config()));
}

TEST(Topology, AdoptMissingNamespaceIsClearError) {
  TopologyConfig cfg = unique_topology_config("missing");
  try {
    Topology::adopt(cfg);
    FAIL() << "adopted a namespace that does not exist";
  } catch (const Error& e) {
    EXPECT_NE(e.one_line().find("no network namespace '" + cfg.ns_a + "'"), std::string::npos);
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

TEST(SetupScript, SecondRunChangesNothing) {
  const TopologyConfig cfg = unique_topology_config("idem");
  struct Cleanup {
    const TopologyConfig& c;
    ~Cleanup() { script(teardown_path(), c); }
  } cleanup{cfg};
  const CommandResult first = script(setup_path(), cfg);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string before = snapshot(cfg);
  const CommandResult second = script(setup_path(), cfg);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("already set up"), std::string::npos) << second.out;
  EXPECT_EQ(snapshot(cfg), before);
  // Teardown twice: the second finds nothing and still succeeds.
  EXPECT_EQ(script(teardown_path(), cfg).exit_code, 0);
  EXPECT_FALSE(listed(cfg.ns_a));
  const CommandResult again = script(teardown_path(), cfg);
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST(SetupScript, EnvironmentOverridesDefaults) {
  TopologyConfig cfg = unique_topology_config("env");
  cfg.ip_a = parse_ipv4("192.168.77.1");
  cfg.ip_b = parse_ipv4("192.168.77.2");
  struct Cleanup {
    const TopologyConfig& c;
    ~Cleanup() { script(teardown_path(), c); }
  } cleanup{cfg};
  const CommandResult r = run_command(
      {"env", "COPYLAB_NS_A=" + cfg.ns_a, "COPYLAB_NS_B=" + cfg.ns_b, "COPYLAB_DEV_A=" + cfg.dev_a,
       "COPYLAB_DEV_B=" + cfg.dev_b, "COPYLAB_IP_A=192.168.77.1", "COPYLAB_IP_B=192.168.77.2",
       setup_path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(run_command({"ip", "-n", cfg.ns_b, "-4", "addr", "show", "dev", cfg.dev_b})
                .out.find("inet 192.168.77.2/24"),
            std::string::npos);
  // The same topology through flags: nothing to change.
  EXPECT_NE(script(setup_path(), cfg).out.find("already set up"), std::string::npos);
  EXPECT_TRUE(udp_crosses(cfg));
}

TEST(SetupScript, RepairsWhatWasChanged) {
  const TopologyConfig cfg = unique_topology_config("repair");
  struct Cleanup {
    const TopologyConfig& c;
    ~Cleanup() { script(teardown_path(), c); }
  } cleanup{cfg};
  ASSERT_EQ(script(setup_path(), cfg).exit_code, 0);
  const std::string before = snapshot(cfg);
  run_command({"ip", "-n", cfg.ns_b, "neigh", "del", cfg.ip_a.str(), "dev", cfg.dev_b});
  const CommandResult r = script(setup_path(), cfg);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("already set up"), std::string::npos);
  EXPECT_EQ(snapshot(cfg), before);
}

TEST(TeardownScript, KeepsNamespacesItDidNotMake) {
  const TopologyConfig cfg = unique_topology_config("foreign");
  ForeignNetns foreign(cfg.ns_a);  // side A exists before setup.sh runs
  {
    struct Cleanup {
      const TopologyConfig& c;
      ~Cleanup() { script(teardown_path(), c); }
    } cleanup{cfg};
    ASSERT_EQ(script(setup_path(), cfg).exit_code, 0);
    EXPECT_TRUE(udp_crosses(cfg));
    const CommandResult r = script(teardown_path(), cfg);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_TRUE(netns_exists(cfg.ns_a)) << "teardown deleted a namespace setup.sh did not make";
  EXPECT_FALSE(netns_exists(cfg.ns_b));
  NetnsScope in_a(cfg.ns_a);
  EXPECT_EQ(if_nametoindex(cfg.dev_a.c_str()), 0U) << "setup.sh's veth survived teardown";
}

TEST(SetupScript, FailureMidwayRemovesWhatThisRunMade) {
  const TopologyConfig cfg = unique_topology_config("rollback");
  // Side B exists with someone else's device already named like dev_b: setup.sh creates ns_a,
  // then must stop at the veth and remove ns_a again, leaving B untouched.
  ForeignNetns foreign(cfg.ns_b);
  ASSERT_TRUE(run_command({"ip", "-n", cfg.ns_b, "link", "add", cfg.dev_b, "type", "veth", "peer",
                           "name", "other"})
                  .ok());
  const CommandResult r = script(setup_path(), cfg);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Fix:"), std::string::npos) << r.err;
  EXPECT_FALSE(netns_exists(cfg.ns_a)) << "setup.sh left the namespace it made";
  EXPECT_TRUE(netns_exists(cfg.ns_b));
  EXPECT_TRUE(run_command({"ip", "-n", cfg.ns_b, "link", "show", "dev", cfg.dev_b}).ok());
  EXPECT_THROW(Topology::create(cfg), Error);  // B exists: the fixture refuses up front
}
