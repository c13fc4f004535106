// AF_XDP options: every flag lands in AfXdpConfig, and each bad input is one Error (exit code 2,
// except missing privileges) whose text names the fix. No kernel state is touched.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "xdp/af_xdp_config.hpp"
#include "cli/options_af_xdp.hpp"

using namespace copylab;

namespace {

void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form reversed
  app.parse(args);
}

AfXdpConfig parse_config(bool sender, const std::vector<std::string>& args) {
  CLI::App app;
  AfXdpConfig cfg;
  add_af_xdp_options(app, cfg, sender);
  parse(app, args);
  return cfg;
}

// Runs validate() and returns the Error it throws (fails the test if it doesn't).
Error validate_error(const AfXdpConfig& cfg, std::size_t payload) {
  try {
    validate(cfg, payload);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "validate accepted the config";
  return Error("");
}

AfXdpConfig good_config() {
  AfXdpConfig cfg;
  cfg.dev = "lo";  // exists in every namespace; validate() only looks it up
  return cfg;
}

void expect_usage(const AfXdpConfig& cfg, std::size_t payload, const std::string& what,
                  const std::string& fix) {
  const Error e = validate_error(cfg, payload);
  EXPECT_EQ(e.exit_code(), kExitUsage) << e.one_line();
  EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.one_line();
  EXPECT_NE(e.fix().find(fix), std::string::npos) << e.one_line();
  EXPECT_EQ(e.one_line().find('\n'), std::string::npos);
}

}  // namespace

TEST(AfXdpOptions, EveryReceiverOptionLandsInTheConfig) {
  const AfXdpConfig c = parse_config(
      false, {"--dev", "veth2", "--queue", "0", "--mode", "generic", "--zero-copy",
              "--no-need-wakeup", "--batch", "32", "--frame-size", "4096", "--frame-count", "8192",
              "--ring-size", "1024", "--huge-pages", "--wait", "busy-poll", "--busy-poll-usec",
              "50", "--busy-poll-budget", "16", "--force-replace", "--dst-port", "7777"});
  EXPECT_EQ(c.dev, "veth2");
  EXPECT_EQ(c.queue, 0U);
  EXPECT_EQ(c.mode, XdpMode::kGeneric);
  EXPECT_TRUE(c.zero_copy);
  EXPECT_FALSE(c.need_wakeup);
  EXPECT_EQ(c.batch, 32U);
  EXPECT_EQ(c.frame_size, 4096U);
  EXPECT_EQ(c.frame_count, 8192U);
  EXPECT_EQ(c.ring_size, 1024U);
  EXPECT_TRUE(c.huge_pages);
  EXPECT_EQ(c.wait, WaitPolicy::kBusyPoll);
  EXPECT_EQ(c.busy_poll_usec, 50U);
  EXPECT_EQ(c.busy_poll_budget, 16U);
  EXPECT_TRUE(c.force_replace);
  EXPECT_EQ(c.frame.dst_port, 7777);
}

TEST(AfXdpOptions, EverySenderOptionLandsInTheConfig) {
  const AfXdpConfig c = parse_config(
      true, {"--dev", "veth1", "--mode", "native", "--copy", "--need-wakeup", "--wait", "poll",
             "--src-mac", "02:00:00:00:00:0a", "--dst-mac", "02:00:00:00:00:0b", "--src-ip",
             "10.1.0.1", "--dst-ip", "10.1.0.2", "--src-port", "1234", "--dst-port", "4321"});
  EXPECT_EQ(c.mode, XdpMode::kNative);
  EXPECT_FALSE(c.zero_copy);
  EXPECT_TRUE(c.need_wakeup);
  EXPECT_EQ(c.wait, WaitPolicy::kPoll);
  EXPECT_EQ(c.frame.src_mac.str(), "02:00:00:00:00:0a");
  EXPECT_EQ(c.frame.dst_mac.str(), "02:00:00:00:00:0b");
  EXPECT_EQ(c.frame.src_ip.str(), "10.1.0.1");
  EXPECT_EQ(c.frame.dst_ip.str(), "10.1.0.2");
  EXPECT_EQ(c.frame.src_port, 1234);
  EXPECT_EQ(c.frame.dst_port, 4321);
}

TEST(AfXdpOptions, DefaultsAreTheDefaultRecipe) {
  const AfXdpConfig c = parse_config(true, {"--dev", "veth1"});
  EXPECT_EQ(c.mode, XdpMode::kAuto);
  EXPECT_FALSE(c.zero_copy);
  EXPECT_TRUE(c.need_wakeup);
  EXPECT_EQ(c.wait, WaitPolicy::kSpin);
  EXPECT_EQ(c.frame.dst_mac.str(), "00:00:00:00:00:02");
  EXPECT_EQ(c.frame.dst_ip.str(), "10.0.0.2");
  EXPECT_EQ(c.frame.dst_port, 9999);
}

TEST(AfXdpOptions, BatchFollowsAnExistingTrafficBatchOption) {
  CLI::App app;
  std::size_t traffic_batch = 64;
  app.add_option("--batch", traffic_batch);
  AfXdpConfig cfg;
  add_af_xdp_options(app, cfg, true);
  parse(app, {"--dev", "veth1", "--batch", "16"});
  EXPECT_EQ(traffic_batch, 16U);
  EXPECT_EQ(cfg.batch, 16U);
}

TEST(AfXdpOptions, MalformedAddressesAndChoicesAreParseErrors) {
  const std::vector<std::vector<std::string>> bad{
      {"--dev", "v", "--dst-mac", "00:00:00:00:02"},
      {"--dev", "v", "--src-mac", "zz:00:00:00:00:01"},
      {"--dev", "v", "--dst-ip", "10.0.0.256"},
      {"--dev", "v", "--src-ip", "10.0.0"},
      {"--dev", "v", "--mode", "turbo"},
      {"--dev", "v", "--wait", "sleep"},
      {"--dev", "v", "--copy", "--zero-copy"},
      {"--queue", "0"},  // --dev is required
  };
  for (const auto& args : bad) {
    CLI::App app;
    AfXdpConfig cfg;
    add_af_xdp_options(app, cfg, true);
    EXPECT_THROW(parse(app, args), CLI::ParseError) << args.back();
  }
  CLI::App app;
  AfXdpConfig cfg;
  add_af_xdp_options(app, cfg, true);
  try {
    parse(app, {"--dev", "v", "--dst-mac", "00:00:00:00:02"});
  } catch (const CLI::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("--dst-mac"), std::string::npos) << e.what();
  }
}

// iproute2 (xdpdrv/xdpgeneric) and xdp-tools (--mode skb) names, in any case, and nothing else.
TEST(AfXdpOptions, ModeTakesTheIproute2Names) {
  const std::vector<std::pair<std::string, XdpMode>> names{
      {"native", XdpMode::kNative}, {"drv", XdpMode::kNative},   {"DRV", XdpMode::kNative},
      {"generic", XdpMode::kGeneric}, {"skb", XdpMode::kGeneric}, {"Skb", XdpMode::kGeneric},
      {"auto", XdpMode::kAuto}};
  for (const auto& [name, mode] : names) {
    for (const bool sender : {false, true}) {
      EXPECT_EQ(parse_config(sender, {"--dev", "v", "--mode", name}).mode, mode) << name;
    }
  }
  for (const char* bad : {"xdpdrv", "offload", "hw", ""}) {
    CLI::App app;
    AfXdpConfig cfg;
    add_af_xdp_options(app, cfg, false);
    EXPECT_THROW(parse(app, {"--dev", "v", "--mode", bad}), CLI::ParseError) << bad;
  }
}

TEST(AfXdpValidate, AcceptsTheDefaults) { EXPECT_NO_THROW(validate(good_config(), 64)); }

TEST(AfXdpValidate, SizesNotPowersOfTwo) {
  AfXdpConfig c = good_config();
  c.ring_size = 1000;
  expect_usage(c, 64, "--ring-size 1000 is not a power of two", "use a power of two");
  c = good_config();
  c.frame_size = 3000;
  expect_usage(c, 64, "--frame-size 3000 is not a power of two", "--frame-size 2048");
  c = good_config();
  c.frame_count = 5000;
  expect_usage(c, 64, "--frame-count 5000 is not a power of two", "--frame-count 4096");
  c = good_config();
  c.frame_size = 8192;
  expect_usage(c, 64, "--frame-size 8192", "use --frame-size 2048 or 4096");
}

TEST(AfXdpValidate, BatchAndFramesOutOfRange) {
  AfXdpConfig c = good_config();
  c.batch = 0;
  expect_usage(c, 64, "--batch 0", "between 1 and --ring-size");
  c.batch = 4096;
  expect_usage(c, 64, "--batch 4096", "between 1 and --ring-size");
  c = good_config();
  c.frame_count = 64;
  expect_usage(c, 64, "--frame-count 64 is less than two batches", "--frame-count 128");
  c = good_config();
  c.wait = WaitPolicy::kBusyPoll;
  c.busy_poll_usec = 0;
  expect_usage(c, 64, "--busy-poll-usec 0", "microseconds");
  c.busy_poll_usec = 20;
  c.busy_poll_budget = 0;
  expect_usage(c, 64, "--busy-poll-budget 0", "packets per busy poll");
}

TEST(AfXdpValidate, PayloadLargerThanAFrame) {
  AfXdpConfig c = good_config();
  expect_usage(c, 1800, "--size 1800 doesn't fit a 2048-byte UMEM frame", "--frame-size 4096");
  c.frame_size = 4096;
  expect_usage(c, 3900, "--size 3900 doesn't fit a 4096-byte UMEM frame", "use --size 3798 or less");
  EXPECT_NO_THROW(validate(c, 3798));
}

TEST(AfXdpValidate, UnknownInterface) {
  AfXdpConfig c = good_config();
  c.dev = "nosuchdev0";
  expect_usage(c, 64, "no interface nosuchdev0 in this network namespace", "ip link");
  c.dev = "";
  expect_usage(c, 64, "no --dev given", "--dev");
}

// Drops every capability (in the death-test child) and checks validate() names what's missing.
[[noreturn]] void validate_without_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capset, &hdr, data) != 0) _exit(10);
  try {
    validate(good_config(), 64);
    _exit(11);
  } catch (const Error& e) {
    const std::string line = e.one_line();
    const bool ok = line.find("missing CAP_") != std::string::npos &&
                    line.find("run as root") != std::string::npos && e.exit_code() != 0;
    _exit(ok ? 0 : 12);
  }
}

TEST(AfXdpValidate, WithoutCapabilitiesSaysWhatIsMissing) {
  EXPECT_EXIT(validate_without_capabilities(), ::testing::ExitedWithCode(0), "");
}

TEST(XdpModeText, AcceptsIproute2AndXdpToolsNames) {
  EXPECT_EQ(parse_xdp_mode("native"), XdpMode::kNative);
  EXPECT_EQ(parse_xdp_mode("drv"), XdpMode::kNative);
  EXPECT_EQ(parse_xdp_mode("generic"), XdpMode::kGeneric);
  EXPECT_EQ(parse_xdp_mode("SKB"), XdpMode::kGeneric);
  EXPECT_EQ(parse_xdp_mode("Auto"), XdpMode::kAuto);
  for (const char* bad : {"", "nativ", "native ", "hw", "offload", "xdpgeneric"})
    EXPECT_FALSE(parse_xdp_mode(bad).has_value()) << bad;
  for (XdpMode m : {XdpMode::kNative, XdpMode::kGeneric, XdpMode::kAuto})
    EXPECT_EQ(parse_xdp_mode(to_string(m)), m) << to_string(m);
}

TEST(XdpModeText, ErrorNamesTheFieldAndTheAcceptedValues) {
  try {
    parse_xdp_mode_or_throw("hw", "--mode");
    FAIL() << "hw was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(e.one_line().find("--mode"), std::string::npos) << e.one_line();
    EXPECT_NE(e.one_line().find("native|drv, generic|skb, auto"), std::string::npos) << e.one_line();
  }
}

TEST(XdpModeText, KernelReportMapsToTheRequestedMode) {
  EXPECT_EQ(to_xdp_mode(XdpAttachMode::kNative), XdpMode::kNative);
  EXPECT_EQ(to_xdp_mode(XdpAttachMode::kGeneric), XdpMode::kGeneric);
  EXPECT_FALSE(to_xdp_mode(XdpAttachMode::kNone).has_value());
  EXPECT_FALSE(to_xdp_mode(XdpAttachMode::kMulti).has_value());
  EXPECT_STREQ(to_string(XdpAttachMode::kGeneric), "generic");
  EXPECT_STREQ(to_string(XdpAttachMode::kOffload), "offload");
}
