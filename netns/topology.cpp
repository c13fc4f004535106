#include "netns/topology.hpp"

#include <net/if.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <utility>

#include "common/error.hpp"
#include "netns/command.hpp"
#include "netns/netns_scope.hpp"

namespace copylab {
namespace {

std::atomic<unsigned> g_unique_counter{0};

CommandResult run_script(std::string_view script, const TopologyConfig& cfg) {
  std::vector<std::string> argv{netns_script_dir() + "/" + std::string(script)};
  const std::vector<std::string> args = topology_script_args(cfg);
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--quiet");
  return run_command(argv);
}

std::string pair_name(const TopologyConfig& cfg) {
  if (cfg.has_middle()) {
    return cfg.ns_a + "/" + cfg.dev_a + " -> " + cfg.ns_m + "/" + cfg.dev_ma + "," + cfg.dev_mb +
           " -> " + cfg.ns_b + "/" + cfg.dev_b;
  }
  return cfg.ns_a + "/" + cfg.dev_a + " <-> " + cfg.ns_b + "/" + cfg.dev_b;
}

std::vector<std::string> namespaces_of(const TopologyConfig& cfg) {
  std::vector<std::string> names{cfg.ns_a, cfg.ns_b};
  if (cfg.has_middle()) names.push_back(cfg.ns_m);
  return names;
}

void require_device(const std::string& ns, const std::string& dev) {
  NetnsScope scope(ns);
  if (if_nametoindex(dev.c_str()) == 0) {
    throw Error("no device '" + dev + "' in network namespace " + ns,
                "check ip -n " + ns + " link, or pass the right --dev", kExitUsage);
  }
}

}  // namespace

std::string netns_script_dir() {
  if (const char* dir = std::getenv("COPYLAB_NETNS_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return COPYLAB_NETNS_SOURCE_DIR;
}

std::vector<std::string> topology_script_args(const TopologyConfig& cfg) {
  std::vector<std::string> args{
      "--ns-a",  cfg.ns_a,        "--ns-b",  cfg.ns_b,        "--dev-a",  cfg.dev_a,
      "--dev-b", cfg.dev_b,       "--mac-a", cfg.mac_a.str(), "--mac-b",  cfg.mac_b.str(),
      "--ip-a",  cfg.ip_a.str(),  "--ip-b",  cfg.ip_b.str(),  "--prefix", std::to_string(cfg.prefix),
      "--tx-csum", cfg.tx_csum};
  if (cfg.has_middle()) {
    args.insert(args.end(), {"--ns-m", cfg.ns_m, "--dev-ma", cfg.dev_ma, "--dev-mb", cfg.dev_mb,
                             "--mac-ma", cfg.mac_ma.str(), "--mac-mb", cfg.mac_mb.str(),
                             "--ip-ma", cfg.ip_ma.str(), "--ip-mb", cfg.ip_mb.str()});
  }
  return args;
}

Topology Topology::create(const TopologyConfig& cfg) {
  for (const std::string& ns : namespaces_of(cfg)) {
    if (netns_exists(ns)) {
      throw Error("network namespace '" + ns + "' already exists",
                  "pick other names, remove it with netns/teardown.sh, or reuse it with --netns",
                  kExitUsage);
    }
  }
  // In the run's record before they exist: a run killed while setup.sh works, or any time
  // before teardown, leaves the names for the next run to reclaim (setup.sh's ownership marker
  // says whether it made them).
  const char* mark_dir = std::getenv("COPYLAB_MARK_DIR");
  OwnedState record = record_owned(
      {{"kind", "netns"},
       {"names", namespaces_of(cfg)},
       {"marker_dir", mark_dir != nullptr && *mark_dir != '\0' ? mark_dir : "/run/copylab/netns"}});
  const CommandResult r = run_script("setup.sh", cfg);
  if (!r.ok()) {
    // setup.sh rolls back what it created before it exits non-zero.
    throw Error("netns/setup.sh failed for " + pair_name(cfg) + ": " + r.last_error_line(),
                "see netns/setup.sh --help", r.exit_code == kExitUsage ? kExitUsage : 1);
  }
  spdlog::debug("topology up: {}", pair_name(cfg));
  Topology topo(cfg, true);
  topo.record_ = std::move(record);
  return topo;
}

TopologyConfig unique_topology_config(std::string_view tag) {
  std::string clean;
  for (char c : tag) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 && clean.size() < 12) {
      clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (clean.empty()) clean = "t";
  const std::string pid = std::to_string(getpid());
  const std::string n = std::to_string(g_unique_counter.fetch_add(1));
  TopologyConfig cfg;
  const std::string stem = topology_defaults::kUniqueNsPrefix + clean + "-" + pid + "-" + n;
  cfg.ns_a = stem + "a";
  cfg.ns_b = stem + "b";
  // "c" + pid (<= 7 digits) + "x" + counter + side: within IFNAMSIZ-1 = 15 up to 10^5 pairs.
  cfg.dev_a = "c" + pid + "x" + n + "a";
  cfg.dev_b = "c" + pid + "x" + n + "b";
  return cfg;
}

Topology Topology::create_unique(std::string_view tag) { return create(unique_topology_config(tag)); }

TopologyConfig unique_forward_topology_config(std::string_view tag) {
  TopologyConfig cfg = unique_topology_config(tag);
  cfg.ns_m = cfg.ns_a.substr(0, cfg.ns_a.size() - 1) + "m";
  // Same length as dev_a: "c<pid>x<n>" plus one letter.
  const std::string stem = cfg.dev_a.substr(0, cfg.dev_a.size() - 1);
  cfg.dev_ma = stem + "m";
  cfg.dev_mb = stem + "n";
  return cfg;
}

Topology Topology::create_unique_forward(std::string_view tag) {
  return create(unique_forward_topology_config(tag));
}

Topology Topology::adopt(const TopologyConfig& cfg) {
  require_netns(cfg.ns_a);
  require_netns(cfg.ns_b);
  require_device(cfg.ns_a, cfg.dev_a);
  require_device(cfg.ns_b, cfg.dev_b);
  if (cfg.has_middle()) {
    require_netns(cfg.ns_m);
    require_device(cfg.ns_m, cfg.dev_ma);
    require_device(cfg.ns_m, cfg.dev_mb);
  }
  return Topology(cfg, false);
}

Topology::Topology(Topology&& other) noexcept
    : cfg_(std::move(other.cfg_)),
      owned_(std::exchange(other.owned_, false)),
      record_(std::move(other.record_)) {}

Topology& Topology::operator=(Topology&& other) noexcept {
  if (this != &other) {
    try {
      destroy();
    } catch (const Error& e) {
      spdlog::error("{}", e.one_line());
    }
    cfg_ = std::move(other.cfg_);
    owned_ = std::exchange(other.owned_, false);
    record_ = std::move(other.record_);
  }
  return *this;
}

Topology::~Topology() {
  try {
    destroy();
  } catch (const std::exception& e) {
    spdlog::error("topology teardown: {}", e.what());
  }
}

void Topology::destroy() {
  if (!owned_) return;
  owned_ = false;
  const CommandResult r = run_script("teardown.sh", cfg_);
  if (!r.ok()) {
    record_.leave();  // still there: the next run reclaims them
    throw Error("netns/teardown.sh failed for " + pair_name(cfg_) + ": " + r.last_error_line(),
                "remove them by hand: ip netns del " + cfg_.ns_a + "; ip netns del " + cfg_.ns_b +
                    (cfg_.has_middle() ? "; ip netns del " + cfg_.ns_m : std::string()));
  }
  record_.forget();
  spdlog::debug("topology removed: {}", pair_name(cfg_));
}

}  // namespace copylab
