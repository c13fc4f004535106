#include "report/text_wrap.hpp"

namespace copylab {

std::size_t display_width(const std::string& s) noexcept {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

namespace {

// The byte offset in `s` after `columns` code points (or s.size()).
std::size_t prefix_bytes(const std::string& s, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == columns) return i;
      ++seen;
    }
  }
  return s.size();
}

}  // namespace

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

std::string wrap_text(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out;
  for (const auto& l : wrap_lines(text, indent, width)) out += l + "\n";
  return out;
}

}  // namespace copylab
