// Help text for every copylab program: at most 100 columns (descriptions wrapped), option values
// shown by their type name (FILE, MODE, N...) instead of CLI11's validator text, flags without
// CLI11's "{false}" markers, defaults as "(default: X)", and subcommands one line each.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>

namespace copylab {

inline constexpr std::size_t kHelpColumns = 100;

class HelpFormatter : public CLI::Formatter {
 public:
  // `summaries`: the one-line text each subcommand shows in its parent's list (its own --help
  // shows the full description); a subcommand without one shows its description's first sentence.
  explicit HelpFormatter(std::map<std::string, std::string> summaries = {});

  std::string make_option(const CLI::Option* opt, bool is_positional) const override;
  std::string make_description(const CLI::App* app) const override;
  std::string make_footer(const CLI::App* app) const override;
  std::string make_subcommand(const CLI::App* sub) const override;

 private:
  std::map<std::string, std::string> summaries_;
};

// Installs HelpFormatter on `app`; subcommands added afterwards inherit it.
void use_help_format(CLI::App& app, std::map<std::string, std::string> summaries = {});

// `text` wrapped at word boundaries to `width` columns, every line after the first (and the first
// too when `indent_first`) indented by `indent` spaces; explicit newlines are kept. A line that
// starts with spaces keeps them, and "  4      text" (label, two or more spaces, text) keeps its
// label column, its text wrapping under the text's first word (e.g. an exit-code list).
std::string wrap_text(const std::string& text, std::size_t indent, std::size_t width,
                      bool indent_first);

}  // namespace copylab
