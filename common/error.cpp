#include "common/error.hpp"

#include <cstring>
#include <string>

namespace copylab {

std::string Error::one_line() const {
  std::string line = what();
  if (!fix_.empty()) {
    line += ". Fix: ";
    line += fix_;
  }
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  return line;
}

std::string errno_text(int err) {
  const char* name = strerrorname_np(err);
  std::string text = std::strerror(err);
  text += " (";
  text += name != nullptr ? name : std::to_string(err);
  text += ")";
  return text;
}

void throw_errno(std::string_view call, std::string_view object, int err, std::string fix) {
  std::string what = "Couldn't ";
  what += call;
  if (!object.empty()) {
    what += " on ";
    what += object;
  }
  what += ": ";
  what += errno_text(err);
  throw Error(std::move(what), std::move(fix));
}

}  // namespace copylab
