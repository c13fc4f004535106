// Test helper for `copylab hist -- CMD`: sends N 64-byte copylab payloads to IP:PORT over a plain
// UDP socket, one sendto each (run it inside a test namespace with `ip netns exec`).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "packet/payload.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: trace_udp_burst <ipv4> <port> <count>\n");
    return 2;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 1;
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  if (::inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) return 2;
  const long count = std::atol(argv[3]);
  std::array<std::uint8_t, 64> buf{};
  for (long i = 0; i < count; ++i) {
    copylab::write_payload(buf, static_cast<std::uint64_t>(i), 0);
    if (::sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<const sockaddr*>(&dst),
                 sizeof(dst)) != static_cast<ssize_t>(buf.size())) {
      std::perror("sendto");
      return 1;
    }
  }
  ::close(fd);
  return 0;
}
