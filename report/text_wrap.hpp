// Word wrapping for the terminal reports: a long note goes on lines of its own under the row it
// belongs to, so no report line runs past a terminal's width.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace copylab {

// The width the text reports keep to (columns, counted in UTF-8 code points).
inline constexpr std::size_t kReportWidth = 100;

// Display width of `s`: UTF-8 code points, so "µs" and "±" count one column each.
std::size_t display_width(const std::string& s) noexcept;

// `text` broken at spaces into lines of at most `width` columns, each starting with `indent`
// (a single word longer than the room is cut, never lost). No trailing newlines.
std::vector<std::string> wrap_lines(const std::string& text, const std::string& indent,
                                    std::size_t width = kReportWidth);
// Like wrap_lines, but only the second and later lines start with `hang` (a hanging indent).
std::vector<std::string> wrap_hanging(const std::string& text, const std::string& hang,
                                      std::size_t width = kReportWidth);
// The same lines as wrap_lines, each ending in '\n'.
std::string wrap_text(const std::string& text, const std::string& indent,
                      std::size_t width = kReportWidth);

}  // namespace copylab
