#include "cli/option_checks.hpp"

#include <limits>

namespace copylab {

CLI::Option* output_file(CLI::Option* opt) {
  const std::string name = opt->get_name();
  return opt->check(CLI::Validator(
      [name](std::string& path) -> std::string {
        return detail::as_option_error([&] { check_output_file(name, path); });
      },
      "", "writable file"));
}

CLI::Option* output_dir(CLI::Option* opt) {
  const std::string name = opt->get_name();
  return opt->check(CLI::Validator(
      [name](std::string& path) -> std::string {
        return detail::as_option_error([&] { check_output_dir(name, path); });
      },
      "", "writable directory"));
}

CLI::Option* online_cpu(CLI::Option* opt, bool allow_unpinned) {
  const std::string name = opt->get_name();
  // Any whole number gets through the range check; the CPU check names what exists.
  in_range(opt, std::numeric_limits<int>::min() + 1, std::numeric_limits<int>::max());
  return opt->check(CLI::Validator(
      [name, allow_unpinned](std::string& text) -> std::string {
        // in_range (which ran first) made the text a canonical integer.
        return detail::as_option_error(
            [&] { require_usable_cpu(name, std::stoi(text), allow_unpinned); });
      },
      "", "CPU"));
}

}  // namespace copylab
