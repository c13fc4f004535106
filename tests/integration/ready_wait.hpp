// A test's worker thread signals `ready` once its datapath is set up. If the setup throws, the
// promise is never set: waiting on it alone would hang the test forever. This waits for either,
// and rethrows the worker's exception when it ended first.
#pragma once

#include <chrono>
#include <future>
#include <stdexcept>

namespace copylab::test {

template <class T>
void wait_until_ready(std::future<void> ready, std::future<T>& worker) {
  using namespace std::chrono_literals;
  while (ready.wait_for(10ms) != std::future_status::ready) {
    if (worker.wait_for(0ms) == std::future_status::ready) {
      worker.get();  // rethrows what the setup threw
      throw std::runtime_error("the worker thread ended before it was ready");
    }
  }
}

}  // namespace copylab::test
