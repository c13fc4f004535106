// While it lives, the default logger prints an info line only the first time its text appears
// (numbers such as program ids and ports ignored): the datapaths announce their XDP program and
// AF_XDP socket every time a side is built, which a latency sweep does once per run. Warnings and
// errors always pass (wrapped, like long info lines, within the report width), and so does everything logged through every_line() (progress lines, which
// differ only in their numbers). Construct and destroy it while no other thread logs.
#pragma once

#include <memory>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

namespace copylab {

class InfoLinesOnce {
 public:
  InfoLinesOnce();
  ~InfoLinesOnce();
  InfoLinesOnce(const InfoLinesOnce&) = delete;
  InfoLinesOnce& operator=(const InfoLinesOnce&) = delete;

  // A logger that writes to the original sinks: every line it gets is printed.
  spdlog::logger& every_line() { return *every_line_; }

 private:
  std::vector<spdlog::sink_ptr> original_;
  std::shared_ptr<spdlog::logger> every_line_;
};

}  // namespace copylab
