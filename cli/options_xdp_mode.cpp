#include "cli/options_xdp_mode.hpp"

#include "cli/option_checks.hpp"
#include "common/error.hpp"

namespace copylab {

CLI::Validator xdp_mode_names(const std::string& option) {
  return CLI::Validator(
      [option](std::string& text) -> std::string {
        return detail::as_option_error([&] { text = to_string(parse_xdp_mode_or_throw(text, option)); });
      },
      "", "XDP mode");
}

namespace {
// The first long name in "--mode,--xdp-mode", for messages.
std::string first_name(const std::string& names) { return names.substr(0, names.find(',')); }
}  // namespace

CLI::Option* add_xdp_mode_option(CLI::App& app, const std::string& names, XdpMode& target,
                                 const std::string& help) {
  const std::string option = first_name(names);
  return app
      .add_option_function<std::string>(
          names, [&target, option](const std::string& s) { target = parse_xdp_mode_or_throw(s, option); },
          help)
      ->transform(xdp_mode_names(option))
      ->type_name("MODE")
      ->default_str(to_string(target));
}

CLI::Option* add_xdp_mode_option(CLI::App& app, const std::string& names, std::string& target,
                                 const std::string& help) {
  const std::string option = first_name(names);
  return app.add_option(names, target, help)
      ->transform(xdp_mode_names(option))
      ->type_name("MODE")
      ->default_str(target);
}

}  // namespace copylab
