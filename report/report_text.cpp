#include "report/report_text.hpp"

#include <vector>

#include <algorithm>

namespace copylab {

std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

namespace {

// Byte offset of the first `cols` code points of `s`.
std::size_t prefix_bytes(std::string_view s, std::size_t cols) {
  std::size_t i = 0, seen = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == cols) break;
      ++seen;
    }
  }
  return i;
}

}  // namespace

std::string wrap_text(std::string_view text, std::size_t width, std::string_view first_indent,
                      std::string_view indent) {
  std::string out;
  std::string line(first_indent);
  std::size_t line_w = display_width(first_indent);
  bool line_has_word = false;
  const auto flush = [&] {
    out += line;
    out += '\n';
    line.assign(indent);
    line_w = display_width(indent);
    line_has_word = false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == '\n') {
      if (text[pos] == '\n' && line_has_word) flush();
      ++pos;
      continue;
    }
    const std::size_t end = std::min(text.find_first_of(" \n", pos), text.size());
    std::string_view word = text.substr(pos, end - pos);
    pos = end;
    while (!word.empty()) {
      const std::size_t w = display_width(word);
      const std::size_t need = (line_has_word ? 1 : 0) + w;
      if (line_w + need <= width) {
        if (line_has_word) line += ' ';
        line += word;
        line_w += need;
        line_has_word = true;
        break;
      }
      if (line_has_word) {
        flush();
        continue;
      }
      // Longer than a whole line: cut it (at least one code point per line).
      const std::size_t room = width > line_w ? width - line_w : 1;
      const std::size_t cut = prefix_bytes(word, room);
      line += word.substr(0, cut);
      line_has_word = true;
      word.remove_prefix(cut);
      flush();
    }
  }
  if (line_has_word || out.empty()) flush();
  return out;
}

std::string render_table(const TextTable& t, std::size_t width) {
  std::size_t label_w = 0, columns = t.header.size();
  for (const auto& r : t.rows) columns = std::max(columns, r.cells.size());
  std::vector<std::size_t> col_w(columns, 0);
  for (std::size_t i = 0; i < t.header.size(); ++i) col_w[i] = display_width(t.header[i]);
  for (const auto& r : t.rows) {
    label_w = std::max(label_w, display_width(r.label));
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      col_w[i] = std::max(col_w[i], display_width(r.cells[i]));
    }
  }
  const auto pad_left = [](const std::string& s, std::size_t w) {
    return std::string(w - std::min(w, display_width(s)), ' ') + s;
  };
  const auto pad_right = [](const std::string& s, std::size_t w) {
    return s + std::string(w - std::min(w, display_width(s)), ' ');
  };
  std::string out;
  std::size_t first = 0;
  while (first < col_w.size()) {
    // As many columns as fit after the label column (at least one).
    std::size_t last = first, used = label_w;
    while (last < col_w.size() && (last == first || used + 2 + col_w[last] <= width)) {
      used += 2 + col_w[last];
      ++last;
    }
    if (first != 0) out += '\n';
    const auto line = [&](const std::string& label, const std::vector<std::string>& cells) {
      std::string l = pad_right(label, label_w);
      for (std::size_t i = first; i < last; ++i) {
        l += "  " + pad_left(i < cells.size() ? cells[i] : std::string(), col_w[i]);
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out += l + '\n';
    };
    if (!t.header.empty()) line("", t.header);
    for (const auto& r : t.rows) line(r.label, r.cells);
    first = last;
  }
  return out;
}

// Line-by-line wrapping (the latency report and log lines).
std::vector<std::string> wrap_lines(const std::string& text, const std::string& indent,
                                    std::size_t width) {
  const std::size_t room = width > display_width(indent) + 10 ? width - display_width(indent) : 10;
  std::vector<std::string> out;
  std::string line;
  auto flush = [&] {
    if (!line.empty()) out.push_back(indent + line);
    line.clear();
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find_first_not_of(" \n", pos);
    if (start == std::string::npos) break;
    std::size_t end = text.find_first_of(" \n", start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    pos = end;
    while (display_width(word) > room) {  // a URL or path longer than a line: cut it
      flush();
      const std::size_t cut = prefix_bytes(word, room);
      out.push_back(indent + word.substr(0, cut));
      word.erase(0, cut);
    }
    if (word.empty()) continue;
    const std::size_t need = display_width(line) + (line.empty() ? 0 : 1) + display_width(word);
    if (need > room) flush();
    line += (line.empty() ? "" : " ") + word;
  }
  flush();
  return out;
}

std::vector<std::string> wrap_hanging(const std::string& text, const std::string& hang,
                                      std::size_t width) {
  std::vector<std::string> lines = wrap_lines(text, "", width);
  if (lines.size() < 2) return lines;
  std::string rest;
  for (std::size_t i = 1; i < lines.size(); ++i) rest += (i > 1 ? " " : "") + lines[i];
  std::vector<std::string> more = wrap_lines(rest, hang, width);
  lines.resize(1);
  lines.insert(lines.end(), more.begin(), more.end());
  return lines;
}

std::string wrap_block(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out;
  for (const auto& l : wrap_lines(text, indent, width)) out += l + "\n";
  return out;
}

}  // namespace copylab
