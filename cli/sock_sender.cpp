// sock_sender: the same UDP payloads through the classic socket API (COPY #1 per datagram).
#include "cli/sender_tool.hpp"
#include "cli/options_socket.hpp"
#include "sock/socket_datapath.hpp"

int main(int argc, char** argv) {
  copylab::SocketConfig cfg;
  return copylab::sender_tool_main(
      argc, argv, "sock_sender",
      "Send UDP datagrams through the socket API, bound to the experiment's device",
      {[&](CLI::App& app) { copylab::add_socket_options(app, cfg, /*sender=*/true); },
       [&](const copylab::TrafficConfig& traffic) {
         cfg.batch = static_cast<unsigned>(traffic.batch);
         cfg.payload_size = traffic.payload_size;
         copylab::validate(cfg, traffic.payload_size);
         return copylab::make_socket_datapath(cfg);
       },
       /*spins=*/{}});
}
