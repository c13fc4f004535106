#include "cli/log_once.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <mutex>
#include <set>
#include <string>

#include "report/report_text.hpp"

namespace copylab {

namespace {

// "XDP steering program on lat-a for UDP port 9000: ... (id 812, native)" and the same line with
// another program id are one line: digit runs compare as one '#'.
std::string without_numbers(std::string_view text) {
  std::string key;
  bool in_number = false;
  for (char c : text) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && !in_number) key += '#';
    if (!digit) key += c;
    in_number = digit;
  }
  return key;
}

class FirstInfoOnlySink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FirstInfoOnlySink(std::vector<spdlog::sink_ptr> sinks) : sinks_(std::move(sinks)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level == spdlog::level::info &&
        !seen_.insert(without_numbers(std::string_view(msg.payload.data(), msg.payload.size())))
             .second) {
      return;
    }
    const std::string text(msg.payload.data(), msg.payload.size());
    // "info: " / "warning: " in front: wrap the text so a line stays within the report width.
    const std::size_t room = kReportWidth - 10;
    if (display_width(text) <= room) {
      forward(msg);
      return;
    }
    for (const auto& piece : wrap_hanging(text, "    ", room)) {
      spdlog::details::log_msg part(msg.time, msg.source, msg.logger_name, msg.level, piece);
      forward(part);
    }
  }
  void forward(const spdlog::details::log_msg& msg) {
    for (auto& s : sinks_) {
      if (s->should_log(msg.level)) s->log(msg);
    }
  }
  void flush_() override {
    for (auto& s : sinks_) s->flush();
  }

 private:
  std::vector<spdlog::sink_ptr> sinks_;
  std::set<std::string> seen_;
};

}  // namespace

InfoLinesOnce::InfoLinesOnce()
    : every_line_(spdlog::default_logger_raw()->clone("copylab-every-line")) {
  auto& sinks = spdlog::default_logger_raw()->sinks();
  original_ = sinks;
  auto once = std::make_shared<FirstInfoOnlySink>(original_);
  once->set_level(spdlog::level::trace);  // the wrapped sinks keep their own levels
  sinks.assign(1, once);
}

InfoLinesOnce::~InfoLinesOnce() { spdlog::default_logger_raw()->sinks() = original_; }

}  // namespace copylab
