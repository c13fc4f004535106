// sock/: command-line options and the checks that need no namespace (no root needed).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "cli/options_socket.hpp"

using namespace copylab;

namespace {

SocketConfig parse(std::vector<std::string> args, bool sender = true) {
  CLI::App app("test");
  SocketConfig cfg;
  add_socket_options(app, cfg, sender);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return cfg;
}

std::string error_of(const SocketConfig& cfg, std::size_t size) {
  try {
    validate(cfg, size);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage) << e.one_line();
    return e.one_line();
  }
  return "";
}

}  // namespace

TEST(SockOptions, DefaultsFollowTheDefaultRecipe) {
  const SocketConfig s = parse({});
  EXPECT_EQ(s.role, SocketRole::kSender);
  EXPECT_EQ(s.dev, "veth1");
  EXPECT_EQ(s.dst_ip, "10.0.0.2");
  EXPECT_EQ(s.dst_port, 9999);
  EXPECT_EQ(s.wait, WaitPolicy::kBlock);
  const SocketConfig r = parse({}, false);
  EXPECT_EQ(r.role, SocketRole::kReceiver);
  EXPECT_EQ(r.dev, "veth2");
  EXPECT_GT(r.rcvbuf, 0);
}

TEST(SockOptions, ParsesEveryOption) {
  const SocketConfig c = parse({"--dev", "c1x0a", "--src-ip", "10.1.0.1", "--dst-ip", "10.1.0.2",
                                "--src-port", "7000", "--dst-port", "7001", "--connect", "--batch",
                                "1", "--wait", "busy-poll", "--busy-poll-usec", "20",
                                "--busy-poll-budget", "16", "--rcvbuf", "1048576", "--sndbuf",
                                "65536", "--show-addresses"});
  EXPECT_EQ(c.dev, "c1x0a");
  EXPECT_EQ(c.src_ip, "10.1.0.1");
  EXPECT_EQ(c.dst_ip, "10.1.0.2");
  EXPECT_EQ(c.src_port, 7000);
  EXPECT_EQ(c.dst_port, 7001);
  EXPECT_TRUE(c.connect);
  EXPECT_EQ(c.batch, 1U);
  EXPECT_EQ(c.wait, WaitPolicy::kBusyPoll);
  EXPECT_EQ(c.busy_poll_usec, 20);
  EXPECT_EQ(c.busy_poll_budget, 16);
  EXPECT_EQ(c.rcvbuf, 1048576);
  EXPECT_EQ(c.sndbuf, 65536);
  EXPECT_TRUE(c.show_addresses);
  EXPECT_EQ(parse({"--wait", "spin"}).wait, WaitPolicy::kSpin);
  EXPECT_EQ(parse({"--wait", "poll"}).wait, WaitPolicy::kPoll);
}

TEST(SockOptions, RejectsOutOfRangeValues) {
  EXPECT_THROW(parse({"--wait", "sometimes"}), CLI::ParseError);
  EXPECT_THROW(parse({"--batch", "0"}), CLI::ParseError);
  EXPECT_THROW(parse({"--batch", "5000"}), CLI::ParseError);
  EXPECT_THROW(parse({"--dst-port", "0"}), CLI::ParseError);
  EXPECT_THROW(parse({"--dst-port", "70000"}), CLI::ParseError);
  EXPECT_THROW(parse({"--rcvbuf", "-1"}), CLI::ParseError);
}

TEST(SockValidate, UnknownDeviceNamesTheFix) {
  SocketConfig c;
  c.dev = "nosuchdev0";
  const std::string e = error_of(c, 64);
  EXPECT_NE(e.find("no device 'nosuchdev0'"), std::string::npos) << e;
  EXPECT_NE(e.find("--dev"), std::string::npos) << e;
  c.dev = "this-name-is-far-too-long";
  EXPECT_NE(error_of(c, 64).find("longer than"), std::string::npos);
}

TEST(SockValidate, BadAddressesNameTheFlag) {
  SocketConfig c;
  c.dev = "lo";  // exists in every namespace
  c.dst_ip = "10.0.0.300";
  EXPECT_NE(error_of(c, 64).find("--dst-ip"), std::string::npos);
  c.dst_ip = "10.0.0.2";
  c.src_ip = "ten.0.0.1";
  EXPECT_NE(error_of(c, 64).find("--src-ip"), std::string::npos);
}

TEST(SockValidate, BatchOutOfRange) {
  SocketConfig c;
  c.dev = "lo";
  c.batch = 0;
  EXPECT_NE(error_of(c, 64).find("--batch"), std::string::npos);
}

TEST(SockOptions, LeavesAnExistingBatchOptionAlone) {
  // The shared traffic options register --batch first; the socket options must not clash.
  CLI::App app("test");
  std::size_t traffic_batch = 64;
  app.add_option("--batch", traffic_batch);
  SocketConfig cfg;
  EXPECT_NO_THROW(add_socket_options(app, cfg, true));
  app.parse(std::vector<std::string>{"7", "--batch"});
  EXPECT_EQ(traffic_batch, 7U);
}
