#include "cli/help_format.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

namespace copylab {
namespace {

constexpr std::size_t kOptionColumn = 30;   // where option descriptions start
constexpr std::size_t kCommandColumn = 12;  // where subcommand summaries start

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The value's name: the option text or type name a command set, without the validator text
// CLI11 appends after ':' ("UINT:1..65535" → "UINT"); CLI11's "ENUM" says nothing, so "NAME".
std::string value_name(const CLI::Option* opt) {
  if (opt->get_type_size() == 0) return {};
  if (!opt->get_option_text().empty()) return opt->get_option_text();
  std::string type = opt->get_type_name();
  type = type.substr(0, type.find(':'));
  if (type == "ENUM") type = "NAME";
  return type;
}

std::string option_names(const CLI::Option* opt, bool is_positional) {
  if (is_positional) return opt->get_name(true, false);
  std::string out;
  for (const std::string& s : opt->get_snames()) out += (out.empty() ? "-" : ", -") + s;
  for (const std::string& l : opt->get_lnames()) out += (out.empty() ? "--" : ", --") + l;
  return out;
}

// First sentence of a description (up to ". " or ": " ), for a one-line summary.
std::string first_sentence(const std::string& text) {
  const std::size_t end = text.find_first_of(".:;(");
  std::string s = end == std::string::npos ? text : text.substr(0, end);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string wrap_text(const std::string& text, std::size_t indent, std::size_t width,
                      bool indent_first) {
  std::string out;
  std::istringstream paragraphs(text);
  bool first_line = true;
  for (std::string para; std::getline(paragraphs, para);) {
    // A paragraph's own layout is kept: its leading spaces, and in "  4      text" (a label,
    // two or more spaces, text) the label column too; the text wraps under its own first word.
    const std::size_t lead = std::min(para.find_first_not_of(' '), para.size());
    std::size_t head_end = lead;
    if (lead > 0) {
      const std::size_t gap = para.find(' ', lead);
      const std::size_t text_at = gap == std::string::npos ? gap : para.find_first_not_of(' ', gap);
      if (text_at != std::string::npos && text_at - gap >= 2) head_end = text_at;
    }
    const std::string head = para.substr(0, head_end);
    std::string line = (first_line && !indent_first ? "" : std::string(indent, ' ')) + head;
    const std::string hang(indent + head.size(), ' ');
    std::size_t start = line.size();
    first_line = false;
    for (const std::string& w : words_of(para.substr(head_end))) {
      if (line.size() > start && line.size() + 1 + w.size() > width) {
        out += line + '\n';
        line = hang;
        start = line.size();
      }
      if (line.size() > start) line += ' ';
      line += w;
    }
    out += line + '\n';
  }
  if (!out.empty()) out.pop_back();
  return out;
}

HelpFormatter::HelpFormatter(std::map<std::string, std::string> summaries)
    : summaries_(std::move(summaries)) {
  column_width(kOptionColumn);
}

std::string HelpFormatter::make_option(const CLI::Option* opt, bool is_positional) const {
  std::string left = "  " + option_names(opt, is_positional);
  if (const std::string v = value_name(opt); !v.empty()) left += " " + v;
  std::string desc = opt->get_description();
  const std::string def = opt->get_default_str();
  if (!def.empty() && desc.find("(default") == std::string::npos &&
      !(opt->get_type_size() == 0 && (def == "false" || def == "0"))) {
    desc += " (default: " + def + ")";
  }
  if (opt->get_required()) desc += " (required)";
  std::string out = wrap_text(desc, kOptionColumn, kHelpColumns, true);
  if (left.size() + 2 > kOptionColumn) return left + '\n' + out + '\n';
  // The first line's indent makes room for the option's names.
  left.resize(kOptionColumn, ' ');
  return out.replace(0, std::min(out.size(), kOptionColumn), left) + '\n';
}

std::string HelpFormatter::make_description(const CLI::App* app) const {
  const std::string desc = app->get_description();
  return desc.empty() ? std::string{} : wrap_text(desc, 0, kHelpColumns, false) + '\n';
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  const std::string footer = app->get_footer();
  return footer.empty() ? std::string{} : wrap_text(footer, 0, kHelpColumns, false) + '\n';
}

std::string HelpFormatter::make_subcommand(const CLI::App* sub) const {
  const auto it = summaries_.find(sub->get_name());
  std::string summary = it != summaries_.end() ? it->second : first_sentence(sub->get_description());
  std::string left = "  " + sub->get_name();
  left.resize(std::max(kCommandColumn, left.size() + 1), ' ');
  if (left.size() + summary.size() > kHelpColumns) {
    summary.resize(kHelpColumns - left.size() - 3);
    summary += "...";
  }
  return left + summary + '\n';
}

void use_help_format(CLI::App& app, std::map<std::string, std::string> summaries) {
  app.formatter(std::make_shared<HelpFormatter>(std::move(summaries)));
}

}  // namespace copylab
