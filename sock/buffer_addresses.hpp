// --show-addresses: where the user buffer handed to the syscall lives, before and after the call,
// for the first few datagrams (as a minimal sender.c/receiver.c pair prints it). The address does not
// move: the kernel copies out of it on send (COPY #1) and into it on receive (COPY #4), which the
// cross-check sets next to the kernel buffer (skb->data) addresses it reads.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace copylab {

struct BufferAddressRecord {
  const char* call = "";     // "sendto", "sendmmsg", "recvfrom", "recvmmsg"
  std::uint64_t index = 0;   // datagram number on this socket, from 0
  std::uintptr_t before = 0; // iov_base handed to the syscall
  std::uintptr_t after = 0;  // iov_base as seen after it returned
  std::size_t capacity = 0;  // bytes the buffer can hold
  long result = 0;           // bytes the kernel copied (out of it on send, into it on receive)
};

class BufferAddressLog {
 public:
  explicit BufferAddressLog(unsigned limit = 0) : limit_(limit) {}
  bool wants_more() const noexcept { return records_.size() < limit_; }
  // Records and logs (spdlog info) one datagram's buffer around a call.
  void record(const BufferAddressRecord& r);
  nlohmann::json to_json() const;

 private:
  unsigned limit_;
  std::vector<BufferAddressRecord> records_;
};

}  // namespace copylab
