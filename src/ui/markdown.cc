#include "ui/markdown.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "ui/code_highlight.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80); }

void push_text(std::vector<Span>& out, std::string_view text, Style style) {
  if (text.empty()) return;
  if (!out.empty() && out.back().style == style) {
    out.back().text += text;
  } else {
    out.push_back({std::string(text), style});
  }
}

// Where the closing `marker` of an emphasis opened just before `from` is, or npos. The closer
// must follow a non-space; for '_' it must not be followed by a word character.
size_t find_closer(std::string_view s, size_t from, std::string_view marker) {
  for (size_t j = s.find(marker, from); j != std::string_view::npos; j = s.find(marker, j + 1)) {
    if (j == from) continue;  // empty emphasis
    if (s[j - 1] == ' ') continue;
    size_t after = j + marker.size();
    if (marker[0] == '_' && after < s.size() && is_word_char(s[after])) continue;
    // "**" must not be read as the closer of a single '*'.
    if (marker.size() == 1 && after < s.size() && s[after] == marker[0]) {
      j = after;
      continue;
    }
    return j;
  }
  return std::string_view::npos;
}

void parse_inline_into(std::string_view s, Style base, std::vector<Span>& out) {
  size_t literal_start = 0;
  size_t i = 0;
  auto flush = [&](size_t end) { push_text(out, s.substr(literal_start, end - literal_start), base); };
  while (i < s.size()) {
    char c = s[i];
    if (c == '`') {
      size_t run = 1;
      while (i + run < s.size() && s[i + run] == '`') ++run;
      std::string fence(run, '`');
      size_t close = s.find(fence, i + run);
      if (close != std::string_view::npos) {
        flush(i);
        std::string_view inner = s.substr(i + run, close - i - run);
        if (inner.size() >= 2 && inner.front() == ' ' && inner.back() == ' ') inner = inner.substr(1, inner.size() - 2);
        Style code = base;
        code.role = Role::kCode;
        push_text(out, inner, code);
        i = close + run;
        literal_start = i;
        continue;
      }
      i += run;
      continue;
    }
    if (c == '*' || c == '_') {
      bool strong = i + 1 < s.size() && s[i + 1] == c;
      std::string_view marker = strong ? s.substr(i, 2) : s.substr(i, 1);
      size_t open_end = i + marker.size();
      bool opens = open_end < s.size() && s[open_end] != ' ' && s[open_end] != c;
      if (c == '_' && i > 0 && is_word_char(s[i - 1])) opens = false;  // snake_case
      size_t close = opens ? find_closer(s, open_end, marker) : std::string_view::npos;
      if (close != std::string_view::npos) {
        flush(i);
        Style inner = base;
        if (strong) {
          inner.bold = true;
        } else {
          inner.italic = true;
        }
        parse_inline_into(s.substr(open_end, close - open_end), inner, out);
        i = close + marker.size();
        literal_start = i;
        continue;
      }
      i += marker.size();
      continue;
    }
    ++i;
  }
  flush(s.size());
}

size_t leading_spaces(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// "```lang" or "~~~": the fence's character and length, or 0 when the line is not a fence.
size_t fence_length(std::string_view line, char* fence_char) {
  size_t indent = leading_spaces(line);
  if (indent > 3 || indent >= line.size()) return 0;
  char c = line[indent];
  if (c != '`' && c != '~') return 0;
  size_t n = 0;
  while (indent + n < line.size() && line[indent + n] == c) ++n;
  if (n < 3) return 0;
  *fence_char = c;
  return n;
}

// True if `line` closes a block opened by `fence_len` of `fence_char`: as many or more, nothing after.
bool closes_fence(std::string_view line, char fence_char, size_t fence_len) {
  char c = 0;
  const size_t n = fence_length(line, &c);
  return n >= fence_len && c == fence_char &&
         line.find_first_not_of(c, leading_spaces(line) + n) == std::string_view::npos;
}

bool is_rule(std::string_view line) {
  size_t indent = leading_spaces(line);
  if (indent > 3 || indent >= line.size()) return false;
  char c = line[indent];
  if (c != '-' && c != '*' && c != '_') return false;
  int marks = 0;
  for (size_t i = indent; i < line.size(); ++i) {
    if (line[i] == c) {
      ++marks;
    } else if (line[i] != ' ') {
      return false;
    }
  }
  return marks >= 3;
}

std::string expand_tabs(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      out.append(4 - out.size() % 4, ' ');
    } else {
      out += c;
    }
  }
  return out;
}

MarkdownLine classify(std::string_view line) {
  MarkdownLine md;
  const Style text{};
  size_t indent = leading_spaces(line);
  std::string_view rest = line.substr(indent);

  if (is_rule(line)) {
    md.rule = true;
    md.spans.push_back({"", Style{Role::kRule}});
    return md;
  }
  if (indent <= 3 && !rest.empty() && rest[0] == '#') {
    size_t level = 0;
    while (level < rest.size() && rest[level] == '#') ++level;
    if (level <= 6 && (level == rest.size() || rest[level] == ' ')) {
      std::string_view title = rest.substr(level);
      while (!title.empty() && title.front() == ' ') title.remove_prefix(1);
      while (!title.empty() && (title.back() == '#' || title.back() == ' ')) title.remove_suffix(1);
      parse_inline_into(title, Style{Role::kHeading, true, false}, md.spans);
      return md;
    }
  }
  if (indent <= 3 && !rest.empty() && rest[0] == '>') {
    std::string_view quoted = rest.substr(1);
    if (!quoted.empty() && quoted[0] == ' ') quoted.remove_prefix(1);
    md.spans.push_back({"\u2502 ", Style{Role::kQuote}});
    parse_inline_into(quoted, Style{Role::kQuote}, md.spans);
    md.hang = 2;
    return md;
  }
  // Bullets: "- item", "* item", "+ item".
  if (rest.size() >= 2 && (rest[0] == '-' || rest[0] == '*' || rest[0] == '+') && rest[1] == ' ') {
    md.spans.push_back({std::string(indent, ' ') + "\u2022 ", Style{Role::kBullet}});
    parse_inline_into(rest.substr(2), text, md.spans);
    md.hang = static_cast<int>(indent) + 2;
    return md;
  }
  // Numbered: "1. item", "2) item".
  size_t digits = 0;
  while (digits < rest.size() && digits < 9 && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits > 0 && digits + 1 < rest.size() && (rest[digits] == '.' || rest[digits] == ')') &&
      rest[digits + 1] == ' ') {
    std::string marker = std::string(indent, ' ') + std::string(rest.substr(0, digits + 1)) + " ";
    md.hang = static_cast<int>(marker.size());
    md.spans.push_back({marker, Style{Role::kBullet}});
    parse_inline_into(rest.substr(digits + 2), text, md.spans);
    return md;
  }
  parse_inline_into(line, text, md.spans);
  return md;
}

// ---- Tables -------------------------------------------------------------------------------

// The cells of "| a | b |" (outer pipes optional; "\\|" and pipes inside `code` are text).
std::vector<std::string> table_cells(std::string_view line) {
  std::vector<std::string> cells(1);
  bool in_code = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cells.back() += '|';
      ++i;
    } else if (c == '`') {
      in_code = !in_code;
      cells.back() += c;
    } else if (c == '|' && !in_code) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  auto trim = [](std::string& s) {
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
  };
  for (std::string& cell : cells) trim(cell);
  std::string_view t = line;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (!t.empty() && t.front() == '|') cells.erase(cells.begin());
  if (!t.empty() && t.back() == '|' && !cells.empty()) cells.pop_back();
  return cells;
}

enum class Align { kLeft, kCenter, kRight };

// "|---|:--:|--:|": one alignment per column, or empty if `line` is not a delimiter row.
std::vector<Align> delimiter_row(std::string_view line) {
  if (line.find('-') == std::string_view::npos) return {};
  std::vector<Align> aligns;
  for (const std::string& cell : table_cells(line)) {
    if (cell.empty() || cell.find_first_not_of(":-") != std::string::npos ||
        cell.find('-') == std::string::npos) {
      return {};
    }
    const bool left = cell.front() == ':', right = cell.back() == ':';
    aligns.push_back(left && right ? Align::kCenter : right ? Align::kRight : Align::kLeft);
  }
  return aligns;
}

// How many lines from lines[i] form a table (header, delimiter, body rows), or 0.
size_t table_rows(const std::vector<std::string>& lines, size_t i) {
  if (i + 1 >= lines.size() || lines[i].find('|') == std::string::npos) return 0;
  const std::vector<Align> aligns = delimiter_row(lines[i + 1]);
  if (aligns.empty() || table_cells(lines[i]).size() != aligns.size()) return 0;
  size_t end = i + 2;
  while (end < lines.size() && lines[end].find('|') != std::string::npos &&
         lines[end].find_first_not_of(' ') != std::string::npos) {
    ++end;
  }
  return end - i;
}

int spans_width(const std::vector<Span>& spans) {
  int w = 0;
  for (const Span& s : spans) w += text_width(utf8_to_wide(s.text));
  return w;
}

// The table's rows with every column as wide as its widest cell, aligned as the delimiter row
// says, columns parted by " │ " and the header underlined by "─┼─".
std::vector<MarkdownLine> render_table(const std::vector<std::string>& lines, size_t first, size_t count) {
  const std::vector<Align> aligns = delimiter_row(lines[first + 1]);
  const size_t columns = aligns.size();
  std::vector<std::vector<std::vector<Span>>> rows;  // [row][column] -> spans
  for (size_t r = 0; r < count; ++r) {
    if (r == 1) continue;
    std::vector<std::string> cells = table_cells(lines[first + r]);
    cells.resize(columns);
    std::vector<std::vector<Span>> row;
    for (const std::string& cell : cells)
      row.push_back(parse_inline(cell, Style{Role::kText, r == 0, false}));
    rows.push_back(std::move(row));
  }
  std::vector<int> widths(columns, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns; ++c) widths[c] = std::max(widths[c], spans_width(row[c]));
  }
  const Style border{Role::kRule};
  auto row_line = [&](const std::vector<std::vector<Span>>& row) {
    MarkdownLine md;
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) md.spans.push_back({" \u2502 ", border});
      const int pad = widths[c] - spans_width(row[c]);
      const int before = aligns[c] == Align::kRight ? pad : aligns[c] == Align::kCenter ? pad / 2 : 0;
      const bool last = c + 1 == columns;
      if (before > 0) md.spans.push_back({std::string(static_cast<size_t>(before), ' '), Style{}});
      for (const Span& s : row[c]) md.spans.push_back(s);
      if (pad - before > 0 && !last)
        md.spans.push_back({std::string(static_cast<size_t>(pad - before), ' '), Style{}});
    }
    return md;
  };
  std::vector<MarkdownLine> out;
  out.push_back(row_line(rows[0]));
  MarkdownLine rule;
  std::string bar;
  for (size_t c = 0; c < columns; ++c) {
    if (c > 0) bar += "\u2500\u253C\u2500";
    for (int k = 0; k < widths[c]; ++k) bar += "\u2500";
  }
  rule.spans.push_back({bar, border});
  out.push_back(std::move(rule));
  for (size_t r = 1; r < rows.size(); ++r) out.push_back(row_line(rows[r]));
  return out;
}

}  // namespace

std::vector<Span> parse_inline(std::string_view line, Style base) {
  std::vector<Span> out;
  parse_inline_into(line, base, out);
  return out;
}

std::vector<MarkdownLine> render_markdown(std::string_view text) {
  std::vector<std::string> lines;
  for (size_t pos = 0;;) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = expand_tabs(text.substr(pos, nl - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == text.size()) break;
    pos = nl + 1;
  }
  std::vector<MarkdownLine> out;
  char fence_char = 0;
  size_t fence_len = 0;  // 0: not inside a fenced block
  std::string lang;      // of the open block
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    char c = 0;
    size_t n = fence_length(line, &c);
    if (fence_len > 0) {
      if (closes_fence(line, fence_char, fence_len)) {
        fence_len = 0;  // the closing fence is not drawn
        continue;
      }
      MarkdownLine md;
      md.code = true;
      md.spans = highlight_code(line, lang);
      out.push_back(std::move(md));
    } else if (n > 0) {
      fence_char = c;
      fence_len = n;
      lang = line.substr(leading_spaces(line) + n);
      while (!lang.empty() && lang.front() == ' ') lang.erase(lang.begin());
      while (!lang.empty() && lang.back() == ' ') lang.pop_back();
      MarkdownLine md;
      md.code = true;
      md.spans.push_back({lang.empty() ? std::string("code") : lang, Style{Role::kCodeFence}});
      out.push_back(std::move(md));
    } else if (size_t rows = table_rows(lines, i); rows > 0) {
      for (MarkdownLine& md : render_table(lines, i, rows)) out.push_back(std::move(md));
      i += rows - 1;
    } else {
      out.push_back(classify(line));
    }
  }
  return out;
}

std::vector<CodeBlock> fenced_code_blocks(std::string_view text) {
  std::vector<CodeBlock> out;
  char fence_char = 0;
  size_t fence_len = 0;  // 0: not inside a fenced block
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    char c = 0;
    const size_t n = fence_length(line, &c);
    if (fence_len > 0) {
      if (closes_fence(line, fence_char, fence_len)) {
        fence_len = 0;
        continue;
      }
      out.back().code.append(line).append("\n");
    } else if (n > 0) {
      fence_char = c;
      fence_len = n;
      std::string_view lang = line.substr(leading_spaces(line) + n);
      while (!lang.empty() && lang.front() == ' ') lang.remove_prefix(1);
      while (!lang.empty() && lang.back() == ' ') lang.remove_suffix(1);
      out.push_back({std::string(lang), {}});
    }
  }
  return out;
}

}  // namespace gptoss::ui
