#include "ui/transcript.h"

#include <langinfo.h>

#include <algorithm>
#include <cctype>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <cwchar>

#include "ui/markdown.h"

namespace gptoss::ui {

// ---- Cells --------------------------------------------------------------------------------

std::wstring utf8_to_wide(std::string_view s) {
  std::wstring out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t n = 0;
    if (b < 0x80) {
      cp = b;
      n = 1;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1F;
      n = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0F;
      n = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07;
      n = 4;
    }
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      unsigned char cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cb & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) ok = false;
    if (!ok) {
      out.push_back(L'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(static_cast<wchar_t>(cp));
    i += n;
  }
  return out;
}

std::string wide_to_utf8(std::wstring_view s) {
  std::string out;
  for (wchar_t wc : s) {
    uint32_t c = static_cast<uint32_t>(wc);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

int char_width(wchar_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;
  int w = ::wcwidth(c);
  return w >= 0 ? w : 1;
}

int text_width(std::wstring_view s) {
  int w = 0;
  for (wchar_t c : s) w += char_width(c);
  return w;
}

bool ensure_utf8_locale() {
  std::setlocale(LC_ALL, "");
  auto is_utf8 = [] {
    const char* cs = nl_langinfo(CODESET);
    return cs && (std::strcmp(cs, "UTF-8") == 0 || std::strcmp(cs, "utf8") == 0);
  };
  if (is_utf8()) return true;
  for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
    if (std::setlocale(LC_CTYPE, name) && is_utf8()) return true;
  }
  return false;
}

// ---- Wrapping -----------------------------------------------------------------------------

namespace {

// What takes one place on screen: a base character and the zero-width marks that follow it.
struct Cluster {
  std::wstring chars;
  int width = 0;
  Style style;
  bool space = false;
  bool newline = false;
};

std::vector<Cluster> to_clusters(const std::vector<Span>& spans) {
  std::vector<Cluster> out;
  int column = 0;  // unwrapped column, for tab stops
  for (const Span& span : spans) {
    for (wchar_t c : utf8_to_wide(span.text)) {
      if (c == L'\n') {
        out.push_back({L"", 0, span.style, false, true});
        column = 0;
        continue;
      }
      if (c == L'\t') {
        for (int n = 4 - column % 4; n > 0; --n) out.push_back({L" ", 1, span.style, true, false});
        column += 4 - column % 4;
        continue;
      }
      if (c < 0x20 || (c >= 0x7F && c < 0xA0)) continue;  // no escape sequence reaches the screen
      int w = char_width(c);
      if (w == 0) {
        if (!out.empty() && !out.back().newline && !out.back().space) {
          out.back().chars.push_back(c);
        } else {
          out.push_back({std::wstring(L"\u00A0") + c, 1, span.style, false, false});  // a mark with no base
          ++column;
        }
        continue;
      }
      out.push_back({std::wstring(1, c), w, span.style, c == L' ', false});
      column += w;
    }
  }
  return out;
}

class RowBuilder {
 public:
  RowBuilder(int width, int hang) : width_(width), hang_(hang < width ? hang : 0) { start_row(false); }

  int column() const { return column_; }
  int width() const { return width_; }
  bool row_empty() const { return column_ == row_start_; }
  bool at_continuation_start() const { return continuation_ && row_empty(); }
  int room_on_fresh_row() const { return width_ - hang_; }

  void place(const Cluster& c) {
    ScreenLine& row = rows_.back();
    if (row.spans.empty() || !(row.spans.back().style == c.style)) row.spans.push_back({L"", c.style});
    row.spans.back().text += c.chars;
    column_ += c.width;
  }
  void new_row(bool continuation) { start_row(continuation); }
  std::vector<ScreenLine> take() { return std::move(rows_); }

 private:
  void start_row(bool continuation) {
    rows_.emplace_back();
    column_ = 0;
    continuation_ = continuation;
    if (continuation && hang_ > 0) {
      rows_.back().spans.push_back({std::wstring(hang_, L' '), Style{}});
      column_ = hang_;
    }
    row_start_ = column_;
  }

  int width_;
  int hang_;
  int column_ = 0;
  int row_start_ = 0;
  bool continuation_ = false;
  std::vector<ScreenLine> rows_;
};

}  // namespace

std::vector<ScreenLine> wrap_spans(const std::vector<Span>& spans, int width, int hang, bool word_wrap) {
  if (width < 1) width = 1;
  std::vector<Cluster> clusters = to_clusters(spans);
  RowBuilder rows(width, hang);

  auto place_breaking = [&](const Cluster& c) {
    if (rows.column() + c.width > width && !rows.row_empty()) rows.new_row(true);
    rows.place(c);
  };

  size_t i = 0;
  while (i < clusters.size()) {
    const Cluster& c = clusters[i];
    if (c.newline) {
      rows.new_row(false);
      ++i;
      continue;
    }
    if (!word_wrap) {
      place_breaking(c);
      ++i;
      continue;
    }
    if (c.space) {
      if (rows.column() + c.width > width) {
        rows.new_row(true);  // the space becomes the break
      } else if (!rows.at_continuation_start()) {
        rows.place(c);  // spaces at the start of a continuation row are dropped
      }
      ++i;
      continue;
    }
    size_t end = i;
    int word_width = 0;
    while (end < clusters.size() && !clusters[end].space && !clusters[end].newline) {
      word_width += clusters[end].width;
      ++end;
    }
    if (rows.column() + word_width > width && !rows.row_empty() && word_width <= rows.room_on_fresh_row()) {
      rows.new_row(true);
    }
    for (; i < end; ++i) place_breaking(clusters[i]);
  }
  return rows.take();
}

std::vector<ScreenLine> wrap_text(std::string_view text, Style style, int width, int hang) {
  return wrap_spans({Span{std::string(text), style}}, width, hang, true);
}

// ---- The transcript -----------------------------------------------------------------------

std::string strip_harmony_markup(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "<|") == 0) {
      size_t j = i + 2;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      if (j > i + 2 && text.compare(j, 2, "|>") == 0) {
        i = j + 2;
        if (!out.empty() && out.back() != ' ') out += ' ';
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}


std::string reasoning_summary(const Block& b) {
  if (b.tokens < 0) return b.interrupted ? "Reasoning (interrupted)" : "Reasoning";  // a loaded session: not measured
  char buf[96];
  int secs = static_cast<int>(b.seconds + 0.5);
  std::snprintf(buf, sizeof buf, "Thought for %d s, %d token%s", secs, b.tokens, b.tokens == 1 ? "" : "s");
  std::string s = buf;
  if (b.interrupted) s += " (interrupted)";
  return s;
}

size_t Transcript::add(Block block) {
  blocks_.push_back({std::move(block), {}, true});
  return blocks_.size() - 1;
}

Block& Transcript::edit(size_t i) {
  blocks_[i].dirty = true;
  return blocks_[i].block;
}

void Transcript::append_text(size_t i, std::string_view text) { edit(i).text += text; }

void Transcript::truncate(size_t i) {
  if (i < blocks_.size()) blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(i), blocks_.end());
  if (!blocks_.empty()) blocks_.front().dirty = true;
  from_bottom_ = 0;
}

void Transcript::set_show_reasoning(bool show) {
  show_reasoning_ = show;
  for (Entry& e : blocks_) {
    if (e.block.kind == BlockKind::kReasoning) e.dirty = true;
  }
}

namespace {

ScreenLine one_row(std::string_view text, Style style) {
  ScreenLine row;
  row.spans.push_back({utf8_to_wide(text), style});
  return row;
}

void append_rows(std::vector<ScreenLine>& out, std::vector<ScreenLine> rows) {
  for (ScreenLine& r : rows) out.push_back(std::move(r));
}

// Rows of `text` under a gutter ("│ "), so a block stays visibly one block when wrapped.
void append_guttered(std::vector<ScreenLine>& out, std::string_view text, Style style, Style gutter, int width) {
  const int inner = width > 3 ? width - 2 : width;
  for (ScreenLine& r : wrap_text(text, style, inner)) {
    if (width > 3) r.spans.insert(r.spans.begin(), WideSpan{L"\u2502 ", gutter});
    out.push_back(std::move(r));
  }
}

int row_width(const ScreenLine& row) {
  int w = 0;
  for (const WideSpan& span : row.spans) w += text_width(span.text);
  return w;
}

// A code line is never broken silently: one longer than the row breaks a cell early and each
// broken row ends in a continuation marker at the right edge, so a token cut in two is visibly one
// (and /copy code gives the line whole).
std::vector<ScreenLine> layout_code_line(const std::vector<Span>& spans, int width) {
  std::vector<ScreenLine> rows = wrap_spans(spans, width, 0, false);
  if (rows.size() > 1 && width > 2) {
    rows = wrap_spans(spans, width - 1, 0, false);
    for (size_t k = 0; k + 1 < rows.size(); ++k) {
      ScreenLine& r = rows[k];
      r.spans.push_back({std::wstring(static_cast<size_t>(std::max(0, width - 1 - row_width(r))), L' '),
                         Style{Role::kCodeBlock}});
      r.spans.push_back({std::wstring(1, kCodeContinuation), Style{Role::kCodeFence}});
    }
  }
  for (ScreenLine& r : rows) r.fill = Role::kCodeBlock;
  return rows;
}

std::vector<ScreenLine> layout_markdown(std::string_view text, int width) {
  std::vector<MarkdownLine> lines = render_markdown(text);
  while (!lines.empty() && !lines.back().code && !lines.back().rule &&
         (lines.back().spans.empty() || (lines.back().spans.size() == 1 && lines.back().spans[0].text.empty()))) {
    lines.pop_back();  // trailing blank lines
  }
  std::vector<ScreenLine> out;
  for (const MarkdownLine& md : lines) {
    if (md.rule) {
      out.push_back(one_row(std::string(), Style{Role::kRule}));
      std::wstring bar;
      for (int k = 0; k < width; ++k) bar += L'\u2500';
      out.back().spans[0].text = bar;
      continue;
    }
    if (md.code) {
      append_rows(out, layout_code_line(md.spans, width));
      continue;
    }
    append_rows(out, wrap_spans(md.spans, width, md.hang, true));
  }
  return out;
}

}  // namespace

std::vector<ScreenLine> Transcript::layout_block(const Block& b, bool first, int width) const {
  std::vector<ScreenLine> out;
  const Style label_user{Role::kUserLabel, true, false};
  const Style label_assistant{Role::kAssistantLabel, true, false};
  const Style label_reasoning{Role::kReasoningLabel};
  const Style tool{Role::kTool};
  bool spaced = b.kind == BlockKind::kUser || b.kind == BlockKind::kTurnLabel || b.kind == BlockKind::kNotice ||
                b.kind == BlockKind::kError || b.kind == BlockKind::kBanner;
  if (spaced && !first) out.emplace_back();

  switch (b.kind) {
    case BlockKind::kUser:
      out.push_back(one_row("You", label_user));
      append_rows(out, wrap_text(b.text, Style{Role::kUserText}, width));
      break;
    case BlockKind::kTurnLabel:
      out.push_back(one_row(b.title, label_assistant));
      break;
    case BlockKind::kReasoning: {
      bool open = b.streaming || show_reasoning_;
      if (!open) {
        append_rows(out, wrap_text("\u25B8 " + reasoning_summary(b) + "  (Ctrl-T or /think shows it)",
                                   label_reasoning, width, 2));
        return out;
      }
      std::string label = b.streaming ? "\u25BE Thinking\u2026" : "\u25BE " + reasoning_summary(b);
      if (!b.title.empty()) label += " [" + b.title + "]";
      append_rows(out, wrap_text(label, label_reasoning, width, 2));
      append_guttered(out, strip_harmony_markup(b.text), Style{Role::kReasoning}, label_reasoning, width);
      return out;
    }
    case BlockKind::kAnswer:
      if (!b.title.empty()) out.push_back(one_row("[" + b.title + "]", label_reasoning));
      append_rows(out, layout_markdown(strip_harmony_markup(b.text), width));
      break;
    case BlockKind::kToolCall:
      append_rows(out, wrap_text("\u2699 tool call \u2192 " + b.title, Style{Role::kTool, true, false}, width, 2));
      append_guttered(out, strip_harmony_markup(b.text), tool, tool, width);
      break;
    case BlockKind::kToolResult:
      append_rows(out, wrap_text("\u2699 result from " + b.title, Style{Role::kTool, true, false}, width, 2));
      append_guttered(out, b.text, tool, tool, width);
      break;
    case BlockKind::kNotice:
      append_rows(out, wrap_text(b.text, Style{Role::kNotice}, width, 2));
      break;
    case BlockKind::kError:
      append_rows(out, wrap_text(b.text, Style{Role::kError, true, false}, width, 2));
      break;
    case BlockKind::kBanner:
      append_rows(out, wrap_text(b.text, Style{Role::kDemo, true, false}, width, 2));
      break;
  }
  if (b.interrupted) out.push_back(one_row("\u23F9 interrupted", Style{Role::kError}));
  return out;
}

void Transcript::layout(int width, int height) {
  if (width < 1) width = 1;
  if (width != width_) {
    for (Entry& e : blocks_) e.dirty = true;
    width_ = width;
  }
  height_ = height;
  int old_total = total_rows_;
  int total = 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    Entry& e = blocks_[i];
    if (e.dirty) {
      e.rows = layout_block(e.block, i == 0, width);
      e.dirty = false;
    }
    total += static_cast<int>(e.rows.size());
  }
  total_rows_ = total;
  if (from_bottom_ > 0 && total > old_total) from_bottom_ += total - old_total;
  clamp();
}

std::vector<const ScreenLine*> Transcript::visible() const {
  std::vector<const ScreenLine*> out;
  int first = total_rows_ - height_ - from_bottom_;
  if (first < 0) first = 0;
  int row = 0;
  for (const Entry& e : blocks_) {
    int n = static_cast<int>(e.rows.size());
    if (row + n <= first) {
      row += n;
      continue;
    }
    for (int k = 0; k < n; ++k, ++row) {
      if (row < first) continue;
      if (static_cast<int>(out.size()) >= height_) return out;
      out.push_back(&e.rows[static_cast<size_t>(k)]);
    }
  }
  return out;
}

void Transcript::clamp() {
  int max_up = total_rows_ - height_;
  if (max_up < 0) max_up = 0;
  if (from_bottom_ > max_up) from_bottom_ = max_up;
  if (from_bottom_ < 0) from_bottom_ = 0;
}

void Transcript::scroll_up(int rows) {
  from_bottom_ += rows;
  clamp();
}

void Transcript::scroll_down(int rows) {
  from_bottom_ -= rows;
  clamp();
}

}  // namespace gptoss::ui
