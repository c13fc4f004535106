#include "cli/options_dpdk.hpp"

#include <map>
#include <string>

#include "cli/option_checks.hpp"
#include "cli/options_af_xdp.hpp"

namespace copylab {

void add_dpdk_options(CLI::App& app, DpdkConfig& cfg, bool sender) {
  app.add_option("--dev", cfg.dev,
                 "Network device (a veth) the net_af_xdp PMD binds; looked up in this namespace")
      ->required();
  in_range<std::uint32_t>(app.add_option("--queue", cfg.queue, "Queue the PMD binds (veth: only 0)"), 0, 4095)
      ->capture_default_str();
  const std::map<std::string, WaitPolicy> waits{{"spin", WaitPolicy::kSpin},
                                                {"busy-poll", WaitPolicy::kBusyPoll}};
  app.add_option("--wait", cfg.wait,
                 "spin (poll rte_eth_rx_burst; the PMD's busy_budget=0) or busy-poll (the PMD's "
                 "busy_budget: SO_PREFER_BUSY_POLL and recvfrom on an empty ring)")
      ->transform(CLI::CheckedTransformer(waits, CLI::ignore_case))
      ->type_name("WAIT")
      ->default_str("spin");
  in_range<std::uint32_t>(app.add_option("--busy-poll-budget", cfg.busy_poll_budget,
                                         "The PMD's busy_budget with --wait busy-poll"),
                          1, 65535)
      ->capture_default_str();
  in_range<std::uint32_t>(app.add_option("--ring-size", cfg.ring_size,
                                         "RX and TX descriptors (power of two, 64..4096)"),
                          1, 1U << 20)
      ->capture_default_str();
  in_range<std::uint32_t>(
      app.add_option("--mbufs", cfg.mbufs, "mbufs in the pool (the PMD's UMEM)"), 1, 1U << 24)
      ->capture_default_str();
  app.add_flag("--force-copy", cfg.force_copy, "The PMD's force_copy: bind the XSK with XDP_COPY");
  app.add_option("--eal-args", cfg.eal_args,
                 "EAL options replacing copylab's (the file prefix, log level and --vdev are "
                 "always copylab's)")
      ->capture_default_str();
  if (CLI::Option* existing = app.get_option_no_throw("--batch")) {
    existing->each([&cfg](const std::string& v) { cfg.batch = std::stoul(v); });
  }
  add_frame_options(app, cfg.frame, sender, "the PMD",
                    "UDP destination port of the experiment's flow (the PMD's program redirects "
                    "the whole queue; other frames are counted and dropped)");
}

}  // namespace copylab
