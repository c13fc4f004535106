#include "report/report_text.hpp"

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

}  // namespace copylab
