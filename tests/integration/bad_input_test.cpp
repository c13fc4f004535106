// Bad input to every tool, as a user types it: each row runs one binary once and requires the
// exit code, exactly one line on stderr naming the problem and the fix, and nothing left behind
// or done: no namespace made (watched with inotify on /run/netns while it runs), no XDP program
// on the test's devices or in the root namespace, no file in the run's $TMPDIR, no output file,
// and not one packet sent or received on the test's veth pair.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "tests/integration/tool_harness.hpp"

extern char** environ;

using namespace copylab;
using namespace copylab::test;
namespace fs = std::filesystem;

namespace {

// What a row changes on the test's topology before it runs (undone afterwards).
enum class Prep { kNone, kDevADown, kDevBDown, kPeerMtu9000, kPortBusyB };

struct Row {
  const char* name;
  const char* ns;                 // "A", "B" or "" (root namespace)
  std::vector<std::string> argv;  // argv[0]: a copylab binary or a system program (setpriv)
  int exit_code;
  const char* stderr_regex;       // the one stderr line must match this
  Prep prep = Prep::kNone;
  const char* output = nullptr;   // an output path the run must not create
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> nonempty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

struct Spawned {
  int exit_code = -1;
  pid_t pid = -1;
  std::string out, err;
  std::vector<std::string> netns_created;  // names that appeared under /run/netns meanwhile
};

// Runs argv with stdout and stderr in separate files and TMPDIR=tmpdir, bounded by 60 s (a run
// that needs longer is killed and reported as -2: never a pass). /run/netns is watched while it
// runs, so a namespace made and removed again is still seen.
Spawned spawn_and_wait(const std::vector<std::string>& argv, const std::string& tmpdir) {
  Spawned s;
  const std::string out = temp_path("bad.out"), err = temp_path("bad.err");
  const int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino >= 0) inotify_add_watch(ino, "/run/netns", IN_CREATE | IN_MOVED_TO);

  std::vector<std::string> env_store{"TMPDIR=" + tmpdir};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TMPDIR=", 0) != 0) env_store.emplace_back(*e);
  }
  std::vector<char*> envp, cargv;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int rc = posix_spawnp(&s.pid, cargv[0], &fa, nullptr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    s.err = "posix_spawnp failed: " + std::to_string(rc);
    if (ino >= 0) close(ino);
    return s;
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    const pid_t w = waitpid(s.pid, &status, WNOHANG);
    if (w == s.pid) {
      s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(s.pid, SIGKILL);
      waitpid(s.pid, &status, 0);
      s.exit_code = -2;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (ino >= 0) {
    alignas(inotify_event) char buf[16384];
    for (;;) {
      const ssize_t n = read(ino, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        if (ev->len > 0) s.netns_created.emplace_back(ev->name);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    close(ino);
  }
  s.out = slurp(out);
  s.err += slurp(err);
  unlink(out.c_str());
  unlink(err.c_str());
  return s;
}

// "ifname=xdp" for every device with an XDP program in the root namespace.
std::set<std::string> root_xdp() {
  std::set<std::string> out;
  const auto r = run_command({"ip", "-j", "-d", "link", "show"});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!doc.is_array()) return out;
  for (const auto& l : doc) {
    if (l.contains("xdp")) out.insert(l.value("ifname", "?") + "=" + l["xdp"].dump());
  }
  return out;
}

// rx+tx packets of `dev` in `ns` (-1 when unreadable).
long long packets(const std::string& ns, const std::string& dev) {
  const auto r = run_command({"ip", "-n", ns, "-j", "-s", "link", "show", "dev", dev});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!doc.is_array() || doc.empty() || !doc[0].contains("stats64")) return -1;
  const auto& st = doc[0]["stats64"];
  return st["rx"]["packets"].get<long long>() + st["tx"]["packets"].get<long long>();
}

bool names_pid(const std::string& name, pid_t pid) {
  return std::regex_search(name, std::regex("(^|[^0-9])" + std::to_string(pid) + "([^0-9]|$)"));
}

class BadInput : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() { topo_.emplace(Topology::create_unique("bad")); }
  static void TearDownTestSuite() { topo_.reset(); }
  static const TopologyConfig& t() { return topo_->config(); }

  void TearDown() override {
    for (const auto& [ns, dev] : {std::pair{t().ns_a, t().dev_a}, std::pair{t().ns_b, t().dev_b}}) {
      EXPECT_EQ(attached_xdp(ns, dev), "") << "XDP left on " << dev;
    }
  }

  std::string expand(const std::string& a) const {
    std::string s = a;
    const std::vector<std::pair<std::string, std::string>> names{
        {"@NSA", t().ns_a}, {"@NSB", t().ns_b}, {"@A", t().dev_a}, {"@B", t().dev_b}};
    for (const auto& [key, value] : names) {
      for (std::size_t at; (at = s.find(key)) != std::string::npos;) s.replace(at, key.size(), value);
    }
    return s;
  }

  static std::optional<Topology> topo_;
};
std::optional<Topology> BadInput::topo_;

// Applies a row's preparation; the returned guard undoes it.
struct PrepGuard {
  std::function<void()> undo;
  ~PrepGuard() {
    if (undo) undo();
  }
};

void ip_ok(const std::vector<std::string>& argv) {
  const auto r = run_command(argv);
  ASSERT_TRUE(r.ok()) << r.err;
}

TEST_P(BadInput, OneLineWithFixNothingMadeNothingSent) {
  const Row& row = GetParam();
  PrepGuard guard;
  int held_fd = -1;
  switch (row.prep) {
    case Prep::kNone: break;
    case Prep::kDevADown:
    case Prep::kDevBDown: {
      const bool a = row.prep == Prep::kDevADown;
      const std::string ns = a ? t().ns_a : t().ns_b, dev = a ? t().dev_a : t().dev_b;
      ip_ok({"ip", "-n", ns, "link", "set", "dev", dev, "down"});
      guard.undo = [ns, dev] { run_command({"ip", "-n", ns, "link", "set", "dev", dev, "up"}); };
      break;
    }
    case Prep::kPeerMtu9000: {
      ip_ok({"ip", "-n", t().ns_a, "link", "set", "dev", t().dev_a, "mtu", "9000"});
      const std::string ns = t().ns_a, dev = t().dev_a;
      guard.undo = [ns, dev] { run_command({"ip", "-n", ns, "link", "set", "dev", dev, "mtu", "1500"}); };
      break;
    }
    case Prep::kPortBusyB: {
      NetnsScope scope(t().ns_b);
      held_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ASSERT_GE(held_fd, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(9999);
      ASSERT_EQ(bind(held_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
      guard.undo = [held_fd] { close(held_fd); };
      break;
    }
  }

  std::vector<std::string> argv;
  for (std::size_t i = 0; i < row.argv.size(); ++i) {
    const std::string a = expand(row.argv[i]);
    const bool ours = a == "copylab" || a.find("_sender") != std::string::npos ||
                      a.find("_receiver") != std::string::npos;
    argv.push_back(ours && (i == 0 || row.argv[0] == "setpriv") ? bin(a) : a);
  }
  if (std::string(row.ns) == "A" || std::string(row.ns) == "B") {
    argv = netns_exec_argv(std::string(row.ns) == "A" ? t().ns_a : t().ns_b, argv);
  }
  if (row.output != nullptr) {
    ASSERT_FALSE(fs::exists(row.output)) << row.output;
  }

  const std::string tmpdir = temp_path("tmpdir");
  ASSERT_TRUE(fs::create_directory(tmpdir));
  chmod(tmpdir.c_str(), 0777);  // rows that drop root still get a usable $TMPDIR
  const auto xdp_before = root_xdp();
  const long long pkts_a = packets(t().ns_a, t().dev_a), pkts_b = packets(t().ns_b, t().dev_b);

  const Spawned r = spawn_and_wait(argv, tmpdir);

  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  SCOPED_TRACE(cmd + "\nstdout: " + r.out + "\nstderr: " + r.err);
  EXPECT_EQ(r.exit_code, row.exit_code);
  const auto lines = nonempty_lines(r.err);
  ASSERT_EQ(lines.size(), 1U) << "exactly one line on stderr";
  EXPECT_NE(lines[0].find("error: "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(". Fix: "), std::string::npos) << "the line names the fix: " << lines[0];
  EXPECT_TRUE(std::regex_search(lines[0], std::regex(row.stderr_regex)))
      << "'" << lines[0] << "' does not match /" << row.stderr_regex << "/";

  for (const auto& name : r.netns_created) {
    EXPECT_FALSE(names_pid(name, r.pid)) << "the run made namespace " << name;
  }
  for (const auto& entry : fs::directory_iterator("/run/netns")) {
    EXPECT_FALSE(names_pid(entry.path().filename().string(), r.pid))
        << "namespace left behind: " << entry.path();
  }
  EXPECT_EQ(root_xdp(), xdp_before) << "XDP changed in the root namespace";
  EXPECT_EQ(packets(t().ns_a, t().dev_a), pkts_a) << "traffic on " << t().dev_a;
  EXPECT_EQ(packets(t().ns_b, t().dev_b), pkts_b) << "traffic on " << t().dev_b;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmpdir)) left.push_back(e.path().string());
  EXPECT_TRUE(left.empty()) << "left in $TMPDIR: " << (left.empty() ? "" : left.front());
  fs::remove_all(tmpdir);
  for (const auto& e : fs::directory_iterator("/tmp")) {
    const std::string n = e.path().filename().string();
    EXPECT_FALSE(n.rfind("copylab-", 0) == 0 && names_pid(n, r.pid)) << "left in /tmp: " << n;
  }
  if (row.output != nullptr) {
    EXPECT_FALSE(fs::exists(row.output)) << row.output << " was created";
  }
}

// gtest prints a row by its name.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

const char* const kNoDir = "/proc/nonexistent/x.json";

INSTANTIATE_TEST_SUITE_P(
    AllTools, BadInput,
    ::testing::Values(
        // xdp_sender
        Row{"XdpSenderNegativeCount", "A", {"xdp_sender", "--dev", "@A", "--count", "-5"}, 2,
            R"(--count -5 is outside 0\.\.1000000000000)"},
        Row{"XdpSenderPortOutOfRange", "A", {"xdp_sender", "--dev", "@A", "--dst-port", "70000"}, 2,
            R"(--dst-port 70000 is outside 1\.\.65535)"},
        Row{"XdpSenderJsonNoDir", "A", {"xdp_sender", "--dev", "@A", "--json", kNoDir}, 2,
            R"(--json /proc/nonexistent/x\.json: .*does not exist.*ENOENT)", Prep::kNone, kNoDir},
        // --json-file: the deprecated name of --json FILE, checked the same way.
        Row{"XdpSenderJsonFileIsDir", "A", {"xdp_sender", "--dev", "@A", "--json-file", "/tmp"}, 2,
            R"(--json-file /tmp: is a directory.*EISDIR)"},
        Row{"XdpSenderCpuMissing", "A", {"xdp_sender", "--dev", "@A", "--cpu", "99"}, 2,
            R"(--cpu 99: there is no CPU 99.*Fix: give --cpu one of)"},
        Row{"XdpSenderNegativeRate", "A", {"xdp_sender", "--dev", "@A", "--rate", "-1"}, 2,
            R"(--rate -1 is outside 0\.\.)"},
        Row{"XdpSenderZeroBatch", "A", {"xdp_sender", "--dev", "@A", "--batch", "0"}, 2,
            R"(--batch 0 is outside 1\.\.1024)"},
        Row{"XdpSenderSizeNotNumber", "A", {"xdp_sender", "--dev", "@A", "--size", "abc"}, 2,
            R"(--size 'abc' is not a whole number)"},
        Row{"XdpSenderSizeOverMtu", "A", {"xdp_sender", "--dev", "@A", "--size", "1473"}, 2,
            R"(--size 1473 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500 of \S+.*Fix: use --size 1472 or less)"},
        Row{"XdpSenderOctalLookingCount", "A", {"xdp_sender", "--dev", "@A", "--count", "0x10"}, 2,
            R"(--count '0x10' is not a whole number)"},
        Row{"XdpSenderDeviceDown", "A", {"xdp_sender", "--dev", "@A", "--count", "1"}, 2,
            R"(device \S+ is down.*Fix: bring it up)", Prep::kDevADown},
        // xdp_receiver
        Row{"XdpReceiverNegativeCount", "B", {"xdp_receiver", "--dev", "@B", "--count", "-1"}, 2,
            R"(--count -1 is outside)"},
        Row{"XdpReceiverNegativeIdle", "B", {"xdp_receiver", "--dev", "@B", "--idle-timeout", "-1"}, 2,
            R"(--idle-timeout -1 is outside 0\.\.)"},
        Row{"XdpReceiverDeviceDown", "B", {"xdp_receiver", "--dev", "@B"}, 2,
            R"(device \S+ is down.*ip link set dev \S+ up)", Prep::kDevBDown},
        Row{"XdpReceiverPeerDownNoCarrier", "B", {"xdp_receiver", "--dev", "@B"}, 2,
            R"(no carrier.*peer is down.*Fix: bring its peer up)", Prep::kDevADown},
        Row{"XdpReceiverNativePeerMtu9000", "B", {"xdp_receiver", "--dev", "@B", "--mode", "native"},
            1, R"(native XDP refused on veth .*ERANGE.*peer's MTU is too large.*Fix: lower the peer's MTU)",
            Prep::kPeerMtu9000},
        Row{"XdpReceiverSizeOverMtu", "B", {"xdp_receiver", "--dev", "@B", "--size", "1473"}, 2,
            R"(--size 1473 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500 of \S+.*ip link set dev \S+ mtu N)"},
        Row{"XdpReceiverNegativeRing", "B", {"xdp_receiver", "--dev", "@B", "--ring-size", "-2048"}, 2,
            R"(--ring-size -2048 is outside)"},
        Row{"XdpReceiverNegativeQueue", "B", {"xdp_receiver", "--dev", "@B", "--queue", "-1"}, 2,
            R"(--queue -1 is outside 0\.\.)"},
        Row{"XdpReceiverReadyFileNoDir", "B",
            {"xdp_receiver", "--dev", "@B", "--ready-file", "/nonexistent-dir/ready"}, 2,
            R"(--ready-file /nonexistent-dir/ready: its directory /nonexistent-dir does not exist)",
            Prep::kNone, "/nonexistent-dir/ready"},
        // sock_sender
        Row{"SockSenderPortZero", "A", {"sock_sender", "--dev", "@A", "--dst-port", "0"}, 2,
            R"(--dst-port 0 is outside 1\.\.65535)"},
        Row{"SockSenderSrcPortTooBig", "A", {"sock_sender", "--dev", "@A", "--src-port", "65536"}, 2,
            R"(--src-port 65536 is outside 0\.\.65535)"},
        Row{"SockSenderCountNotWhole", "A", {"sock_sender", "--dev", "@A", "--count", "1e3"}, 2,
            R"(--count '1e3' is not a whole number)"},
        Row{"SockSenderNegativeDuration", "A", {"sock_sender", "--dev", "@A", "--duration", "-2"}, 2,
            R"(--duration -2 is outside 0\.\.)"},
        Row{"SockSenderSizeOverMtu", "A", {"sock_sender", "--dev", "@A", "--size", "1473"}, 2,
            R"(--size 1473 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500 of \S+.*Fix: use --size 1472 or less)"},
        Row{"SockSenderDeviceDown", "A", {"sock_sender", "--dev", "@A", "--count", "1"}, 2,
            R"(device \S+ is down)", Prep::kDevADown},
        // sock_receiver
        Row{"SockReceiverDeviceDown", "B", {"sock_receiver", "--dev", "@B"}, 2,
            R"(device \S+ is down)", Prep::kDevBDown},
        Row{"SockReceiverNegativeRcvbuf", "B", {"sock_receiver", "--dev", "@B", "--rcvbuf", "-1"}, 2,
            R"(--rcvbuf -1 is outside 0\.\.1073741824)"},
        Row{"SockReceiverBatchTooBig", "B", {"sock_receiver", "--dev", "@B", "--batch", "2000"}, 2,
            R"(--batch 2000 is outside 1\.\.1024)"},
        Row{"SockReceiverSizeOverMtu", "B", {"sock_receiver", "--dev", "@B", "--size", "9000"}, 2,
            R"(--size 9000 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500)"},
        Row{"SockReceiverPortBusy", "B", {"sock_receiver", "--dev", "@B", "--dst-ip", "0.0.0.0"}, 2,
            R"(9999.*(in use|EADDRINUSE))", Prep::kPortBusyB},
        Row{"SockReceiverCpuMinusTwo", "B", {"sock_receiver", "--dev", "@B", "--cpu", "-2"}, 2,
            R"(--cpu -2: there is no CPU -2.*or -1 for no pinning)"},
        // copylab compare
        Row{"CompareJsonNoDir", "", {"copylab", "compare", "--json", kNoDir}, 2,
            R"(--json /proc/nonexistent/x\.json: its directory /proc/nonexistent does not exist.*ENOENT)",
            Prep::kNone, kNoDir},
        Row{"CompareJsonIsDir", "", {"copylab", "compare", "--json", "/tmp"}, 2,
            R"(--json /tmp: is a directory)"},
        Row{"CompareNegativeCount", "", {"copylab", "compare", "--count", "-1"}, 2,
            R"(--count -1 is outside 1\.\.)"},
        Row{"CompareNegativeUnpacedCount", "", {"copylab", "compare", "--unpaced-count", "-3"}, 2,
            R"(--unpaced-count -3 is outside 1\.\.)"},
        Row{"CompareCpuTxMissing", "", {"copylab", "compare", "--cpu-tx", "99"}, 2,
            R"(--cpu-tx 99: there is no CPU 99.*Fix: give --cpu-tx one of)"},
        Row{"CompareSameNetnsTwice", "", {"copylab", "compare", "--netns", "@NSA,@NSA", "--dev", "@A,@A"}, 2,
            R"(names the same namespace twice.*Fix: give two namespaces)"},
        Row{"CompareDevWithoutNetns", "", {"copylab", "compare", "--dev", "veth1,veth2"}, 2,
            R"(--dev needs --netns)"},
        Row{"CompareMissingDevice", "", {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,nosuchdev0"},
            2, R"(no device 'nosuchdev0' in network namespace)"},
        Row{"CompareMissingNetns", "", {"copylab", "compare", "--netns", "@NSA,nosuchns0", "--dev", "@A,@B"},
            2, R"(nosuchns0)"},
        Row{"ComparePortBusy", "", {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,@B"}, 2,
            R"(UDP port 9999 in namespace \S+ is not free.*EADDRINUSE.*--dst-port)", Prep::kPortBusyB},
        Row{"CompareDeviceDown", "", {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,@B"}, 2,
            R"(device \S+ in \S+ is down.*ip -n \S+ link set dev \S+ up)", Prep::kDevADown},
        Row{"ComparePeerDown", "", {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,@B"}, 2,
            R"(device \S+ in \S+ is up but has no carrier.*Fix: bring its peer up)", Prep::kDevBDown},
        Row{"CompareSizeOverMtu", "", {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,@B", "--size", "1473"},
            2, R"(--size 1473 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500 of \S+.*Fix: use --size 1472 or less)"},
        Row{"CompareXskBindUnknown", "", {"copylab", "compare", "--xsk-bind", "zc"}, 2,
            R"(--xsk-bind zc: not a bind mode.*Fix: give copy, zero-copy or both)"},
        // veth has no AF_XDP zero-copy: probed by a real bind on the run's own devices.
        Row{"CompareZeroCopyOnVeth", "",
            {"copylab", "compare", "--netns", "@NSA,@NSB", "--dev", "@A,@B", "--xsk-bind", "zero-copy"}, 2,
            R"(--xsk-bind zero-copy: \S+ in \S+ \(driver veth\) cannot bind AF_XDP zero-copy on queue 0 \(bind\(XDP_ZEROCOPY\): .*EOPNOTSUPP.*Fix: use --xsk-bind copy)"},
        Row{"CompareBothBindsOwnPairVeth", "", {"copylab", "compare", "--xsk-bind", "both"}, 2,
            R"(--xsk-bind both: the veth pair compare makes has no AF_XDP zero-copy.*Fix: use --xsk-bind copy, or run on devices .* --netns A,B --dev X,Y)"},
        Row{"CompareSizeTooSmall", "", {"copylab", "compare", "--size", "31"}, 2,
            R"(--size 31 is outside 32\.\.65507)"},
        Row{"ComparePortOutOfRange", "", {"copylab", "compare", "--dst-port", "70000"}, 2,
            R"(--dst-port 70000 is outside 1\.\.65535)"},
        Row{"CompareWorkDirUnder_proc", "", {"copylab", "compare", "--work-dir", "/proc/nonexistent/w"}, 2,
            R"(--work-dir /proc/nonexistent/w: cannot create it under /proc)"},
        Row{"CompareRxRingNotPowerOfTwo", "", {"copylab", "compare", "--rx-ring-size", "3000"}, 2,
            R"(--rx-ring-size 3000 is not a power of two.*Fix: give a power of two)"},
        Row{"CompareRxFramesTooFew", "", {"copylab", "compare", "--rx-frame-count", "32"}, 2,
            R"(--rx-frame-count 32 is outside 128\.\.1048576)"},
        Row{"CompareZeroRate", "", {"copylab", "compare", "--rate", "0"}, 2, R"(--rate 0 is outside 0\.1\.\.)"},
        // copylab latency
        Row{"LatencyXskBindUnknown", "", {"copylab", "latency", "--xsk-bind", "zerocopy"}, 2,
            R"(--xsk-bind zerocopy: not a bind mode.*Fix: give copy, zero-copy or both)"},
        Row{"LatencyZeroCopyOnVeth", "",
            {"copylab", "latency", "--netns", "@NSA,@NSB", "--dev", "@A,@B", "--xsk-bind", "zero-copy"}, 2,
            R"(--xsk-bind zero-copy: \S+ in \S+ \(driver veth\) cannot bind AF_XDP zero-copy on queue 0 \(bind\(XDP_ZEROCOPY\): .*EOPNOTSUPP.*Fix: use --xsk-bind copy)"},
        Row{"LatencyBothBindsOwnPairVeth", "", {"copylab", "latency", "--xsk-bind", "both"}, 2,
            R"(--xsk-bind both: the veth pair latency makes has no AF_XDP zero-copy.*Fix: use --xsk-bind copy)"},
        Row{"LatencyZeroCopyNoNativeMode", "",
            {"copylab", "latency", "--modes", "sock-block,xsk-spin-generic", "--xsk-bind", "zero-copy"}, 2,
            R"(--xsk-bind zero-copy: none of the --modes binds an AF_XDP socket on native XDP.*Fix: add a native AF_XDP mode)"},
        Row{"LatencyNegativeCount", "", {"copylab", "latency", "--count", "-1"}, 2,
            R"(--count -1 is outside 1\.\.)"},
        Row{"LatencyJsonNoDir", "", {"copylab", "latency", "--json", kNoDir}, 2,
            R"(--json /proc/nonexistent/x\.json: its directory /proc/nonexistent does not exist)",
            Prep::kNone, kNoDir},
        Row{"LatencyCpuPingMissing", "", {"copylab", "latency", "--cpu-ping", "99"}, 2,
            R"(--cpu-ping 99: there is no CPU 99)"},
        Row{"LatencySameNetnsTwice", "", {"copylab", "latency", "--netns", "@NSA,@NSA"}, 2,
            R"(names the same namespace twice)"},
        Row{"LatencyDevWithoutNetns", "", {"copylab", "latency", "--dev", "veth1,veth2"}, 2,
            R"(--dev needs --netns)"},
        Row{"LatencyDeviceDown", "", {"copylab", "latency", "--netns", "@NSA,@NSB", "--dev", "@A,@B"}, 2,
            R"(device \S+ in \S+ is down.*ip -n \S+ link set dev \S+ up)", Prep::kDevADown},
        Row{"LatencyPortBusy", "", {"copylab", "latency", "--netns", "@NSA,@NSB", "--dev", "@A,@B"}, 2,
            R"(UDP port 9999 in namespace \S+ is not free.*EADDRINUSE.*Fix: stop what holds it \(ip netns exec \S+ ss -ulpn)",
            Prep::kPortBusyB},
        Row{"LatencySizeOverMtu", "", {"copylab", "latency", "--netns", "@NSA,@NSB", "--dev", "@A,@B", "--size", "1473"},
            2, R"(--size 1473 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500 of \S+.*Fix: use --size 1472 or less)"},
        Row{"LatencySizesOverMtu", "", {"copylab", "latency", "--netns", "@NSA,@NSB", "--dev", "@A,@B", "--sizes", "64,9000"},
            2, R"(--sizes 9000 plus 28 bytes of IPv4/UDP headers exceeds the MTU 1500.*Fix: use --sizes 1472 or less)"},
        Row{"LatencyHtmlUnder_proc", "", {"copylab", "latency", "--html", "/proc/nonexistent/h"}, 2,
            R"(--html /proc/nonexistent/h: cannot create it under /proc)"},
        Row{"LatencyZeroReps", "", {"copylab", "latency", "--reps", "0"}, 2,
            R"(--reps 0 is outside 1\.\.1000)"},
        // copylab hist
        Row{"HistCommandNotFound", "", {"copylab", "hist", "--", "/nonexistent/cmd"}, 127,
            R"(/nonexistent/cmd, does not exist.*ENOENT)"},
        Row{"HistCommandNotInPath", "", {"copylab", "hist", "--", "no-such-command-0"}, 127,
            R"(no-such-command-0, is not found in PATH)"},
        Row{"HistNegativeCount", "", {"copylab", "hist", "--path", "socket", "--count", "-1"}, 2,
            R"(--count -1 is outside 1\.\.)"},
        Row{"HistJsonIsDir", "", {"copylab", "hist", "--path", "socket", "--json", "/tmp"}, 2,
            R"(--json /tmp: is a directory)"},
        Row{"HistOutUnder_proc", "", {"copylab", "hist", "--path", "socket", "--out", "/proc/nonexistent/o"},
            2, R"(--out /proc/nonexistent/o: cannot create it under /proc)"},
        Row{"HistNotRoot", "",
            {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             "copylab", "hist", "--path", "socket"},
            1, R"(copylab hist needs root.*Fix: run copylab hist as root)"},
        // copylab lab (refused while parsing, before qemu or any download)
        Row{"LabNegativeCount", "", {"copylab", "lab", "--count", "-1"}, 2,
            R"(--count -1 is outside 1\.\.1000000.*Fix: give --count a whole number from 1\.\.1000000)"},
        Row{"LabFloodTooBig", "", {"copylab", "lab", "--flood", "20000000"}, 2,
            R"(--flood 20000000 is outside 1\.\.10000000.*Fix: give --flood)"},
        Row{"LabSizeTooSmall", "", {"copylab", "lab", "--size", "8"}, 2,
            R"(--size 8 is outside 40\.\.1400.*Fix: give --size)"},
        Row{"LabTimeoutNotWhole", "", {"copylab", "lab", "--timeout", "1e3"}, 2,
            R"(--timeout '1e3' is not a whole number.*Fix: give --timeout a whole number from 30\.\.7200)"},
        // copylab itself and doctor
        Row{"CopylabUnknownSubcommand", "", {"copylab", "frobnicate"}, 2,
            R"(unknown subcommand 'frobnicate'.*Fix: use one of compare, .*latency)"},
        Row{"CopylabNoSubcommand", "", {"copylab"}, 2, R"(no subcommand given.*Fix: run one of compare)"},
        Row{"DoctorNetnsWithoutDev", "", {"copylab", "doctor", "--netns", "@NSA"}, 2,
            R"(--netns needs --dev)"}),
    [](const ::testing::TestParamInfo<Row>& row) { return std::string(row.param.name); });

// A results file that cannot be written at the end (here /dev/full: ENOSPC on every write, as
// on a full disk, and it passes the up-front checks): the report is printed anyway, the results
// land in the fallback file the error line names, and the exit code is not 0.
struct KeptRun {
  Spawned run;
  std::string fallback;
  nlohmann::json doc;
};

KeptRun run_with_full_disk(const std::vector<std::string>& argv, const std::string& what) {
  const std::string tmpdir = temp_path("keep");
  fs::create_directory(tmpdir);
  KeptRun k;
  k.run = spawn_and_wait(argv, tmpdir);
  k.fallback = tmpdir + "/copylab-" + what + "-" + std::to_string(k.run.pid) + ".json";
  std::ifstream f(k.fallback);
  if (f) k.doc = nlohmann::json::parse(f, nullptr, false);
  std::vector<std::string> others;
  for (const auto& e : fs::directory_iterator(tmpdir)) {
    if (e.path().string() != k.fallback) others.push_back(e.path().string());
  }
  EXPECT_TRUE(others.empty()) << "left in $TMPDIR: " << others.front();
  fs::remove_all(tmpdir);
  return k;
}

void expect_kept(const KeptRun& k, const std::string& label) {
  SCOPED_TRACE("stdout: " + k.run.out + "\nstderr: " + k.run.err);
  EXPECT_EQ(k.run.exit_code, 1);
  const auto lines = nonempty_lines(k.run.err);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("Couldn't write " + label + " /dev/full"), std::string::npos);
  EXPECT_NE(lines.back().find("ENOSPC"), std::string::npos);
  EXPECT_NE(lines.back().find("saved to " + k.fallback + " instead"), std::string::npos);
  EXPECT_TRUE(k.doc.is_object()) << "no JSON in " << k.fallback;
}

TEST(ResultsKept, ToolJsonOnAFullDisk) {
  Topology topo = Topology::create_unique("keep");
  const auto& t = topo.config();
  auto args = tool_argv(t.ns_a, "sock_sender", sock_sender_args(t));
  args.insert(args.end(), {"--count", "10", "--json", "/dev/full"});
  const KeptRun k = run_with_full_disk(args, "sock_sender");
  expect_kept(k, "--json");
  EXPECT_EQ(k.doc["result"]["sent"], 10);
}

TEST(ResultsKept, CompareJsonOnAFullDiskStillPrintsTheReport) {
  const KeptRun k = run_with_full_disk(
      {bin("copylab"), "compare", "--count", "2000", "--rate", "20000", "--no-unpaced", "--backend",
       "none", "--json", "/dev/full"},
      "compare");
  expect_kept(k, "--json");
  EXPECT_NE(k.run.out.find("socket->socket"), std::string::npos) << "the report was not printed";
  ASSERT_TRUE(k.doc.contains("runs"));
  // socket->socket and af_xdp->af_xdp, plus dpdk->dpdk where the DPDK tools are built and started.
  const bool dpdk = k.doc.contains("dpdk") && k.doc["dpdk"].value("ran", false);
  EXPECT_EQ(k.doc["runs"].size(), dpdk ? 3U : 2U) << k.doc["dpdk"].dump();
  std::set<std::string> pairs;
  for (const auto& r : k.doc["runs"]) pairs.insert(r.value("pair", ""));
  EXPECT_TRUE(pairs.count("socket->socket") && pairs.count("af_xdp->af_xdp")) << k.doc["runs"].size();
}

TEST(ResultsKept, LatencyJsonOnAFullDiskStillPrintsTheTable) {
  const KeptRun k = run_with_full_disk({bin("copylab"), "latency", "--modes", "sock-block", "--count",
                                        "200", "--warmup", "20", "--reps", "1", "--quiet", "--json",
                                        "/dev/full"},
                                       "latency");
  expect_kept(k, "--json");
  EXPECT_NE(k.run.out.find("sock-block"), std::string::npos) << "the table was not printed";
}

}  // namespace
