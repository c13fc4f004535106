// Plain-text layout for the reports copylab prints: display width of UTF-8 text, word wrapping
// with a hanging indent, and tables whose columns are split into blocks that fit a width.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace copylab {

// The width a terminal gives the report: every line fits it when its words do.
inline constexpr std::size_t kReportWidth = 100;

// Columns `s` takes on a terminal: UTF-8 code points, not bytes.
std::size_t display_width(std::string_view s);

// `text` wrapped at word boundaries into lines of at most `width` columns: the first starts with
// `first_indent`, the rest with `indent`. A word longer than a line is cut. One '\n' per line.
std::string wrap_text(std::string_view text, std::size_t width, std::string_view first_indent,
                      std::string_view indent);

// `text` broken at spaces into lines of at most `width` columns, each starting with `indent`
// (a single word longer than the room is cut, never lost). No trailing newlines.
std::vector<std::string> wrap_lines(const std::string& text, const std::string& indent,
                                    std::size_t width = kReportWidth);
// Like wrap_lines, but only the second and later lines start with `hang` (a hanging indent).
std::vector<std::string> wrap_hanging(const std::string& text, const std::string& hang,
                                      std::size_t width = kReportWidth);
// The lines of wrap_lines, each ending in '\n'.
std::string wrap_block(const std::string& text, const std::string& indent,
                       std::size_t width = kReportWidth);

// A table with a label column and one column per entry of `header`. When all columns do not fit
// in `width`, the columns are split into blocks printed one under the other, each with the label
// column again. Cells are right-aligned; no line is longer than `width` unless one column is.
struct TextTable {
  std::vector<std::string> header;  // one per data column, or none (no header line)
  struct Row {
    std::string label;
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
};
std::string render_table(const TextTable& t, std::size_t width);

}  // namespace copylab
