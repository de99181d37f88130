// The conversation as the screen shows it: blocks (a user message, reasoning, an answer, a tool
// call, a notice) laid out into rows for a given width, and a scroll position. Pure data: app.cc
// draws the rows. Wrapping counts cells with wcwidth, so CJK, emoji and combining marks line up.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ui/styled_text.h"

namespace gptoss::ui {

// ---- Cells and wrapping -------------------------------------------------------------------

// UTF-8 to wide characters; an invalid byte becomes U+FFFD.
std::wstring utf8_to_wide(std::string_view s);
std::string wide_to_utf8(std::wstring_view s);

// Cells `c` takes: wcwidth, with 0 for combining marks and format characters and 1 for anything
// wcwidth cannot measure. Needs a UTF-8 LC_CTYPE (see ensure_utf8_locale).
int char_width(wchar_t c);
int text_width(std::wstring_view s);

// Sets LC_ALL from the environment and, if its character set is not UTF-8, LC_CTYPE to C.UTF-8.
// Returns false if no UTF-8 locale is available (widths then fall back to one cell).
bool ensure_utf8_locale();

// Wraps styled text into rows of at most `width` cells (width >= 1). Words move to the next row
// whole when they fit in one; longer words break at the edge. A wide character never straddles
// the edge and combining marks stay with their base. Continuation rows start with `hang` spaces.
// word_wrap=false breaks at the edge only and keeps every space (code). Control characters are
// dropped; tabs become spaces to the next multiple of 4.
std::vector<ScreenLine> wrap_spans(const std::vector<Span>& spans, int width, int hang = 0, bool word_wrap = true);

// Ends each row of a code line broken at the edge ('↩').
constexpr wchar_t kCodeContinuation = L'\u21A9';

// Plain text in one style; '\n' starts a new row.
std::vector<ScreenLine> wrap_text(std::string_view text, Style style, int width, int hang = 0);

// ---- The transcript -----------------------------------------------------------------------

enum class BlockKind {
  kUser,       // what the user sent
  kTurnLabel,  // the model's name above its turn
  kReasoning,  // analysis channel
  kAnswer,     // final channel (markdown)
  kToolCall,   // a message with a recipient (title: the recipient)
  kToolResult, // a tool's reply (title: the tool)
  kNotice,     // replies to commands
  kError,      // errors
  kBanner,     // the demo model's warning, start-up lines
};

struct Block {
  BlockKind kind = BlockKind::kNotice;
  std::string text;   // UTF-8, as the chat reported it (no markup)
  std::string title;  // tool name, model name, or the "other" channel's name
  bool streaming = false;    // still receiving text
  bool interrupted = false;  // stopped by Ctrl-C
  double seconds = 0;        // reasoning: how long the model thought
  int tokens = 0;            // reasoning: how many tokens
};

class Transcript {
 public:
  // Appends a block; returns its index.
  size_t add(Block block);
  size_t size() const { return blocks_.size(); }
  const Block& block(size_t i) const { return blocks_[i].block; }
  // A block to change; its rows are laid out again on the next layout().
  Block& edit(size_t i);
  void append_text(size_t i, std::string_view text);
  // Drops blocks [i, size()).
  void truncate(size_t i);
  void clear() { truncate(0); }

  // Completed reasoning: one summary line (false) or the whole text (true). Reasoning that is
  // still streaming is always shown.
  void set_show_reasoning(bool show);
  bool show_reasoning() const { return show_reasoning_; }

  // Lays out every changed block for `width` columns and `height` visible rows. Keeps the view
  // still when rows arrive while the user has scrolled up.
  void layout(int width, int height);
  int total_rows() const { return total_rows_; }
  // The rows to draw, top to bottom (at most `height` of them).
  std::vector<const ScreenLine*> visible() const;

  void scroll_up(int rows);
  void scroll_down(int rows);
  void scroll_to_top() { scroll_up(total_rows_); }
  void scroll_to_bottom() { from_bottom_ = 0; }
  bool at_bottom() const { return from_bottom_ == 0; }
  // Rows hidden below the view.
  int rows_below() const { return from_bottom_; }

 private:
  struct Entry {
    Block block;
    std::vector<ScreenLine> rows;
    bool dirty = true;
  };
  std::vector<ScreenLine> layout_block(const Block& b, bool first, int width) const;
  void clamp();

  std::vector<Entry> blocks_;
  bool show_reasoning_ = false;
  int width_ = 0;
  int height_ = 0;
  int total_rows_ = 0;
  int from_bottom_ = 0;  // 0 follows the newest row
};

// Removes harmony special-token strings ("<|channel|>", "<|reserved_200017|>") from model text:
// output that did not parse as a message is shown as text, but markup never reaches the screen.
std::string strip_harmony_markup(std::string_view text);

// "Thought for 12 s, 340 tokens": the collapsed form of a reasoning block.
std::string reasoning_summary(const Block& b);

}  // namespace gptoss::ui
