// Text with a meaning attached to each run ("this is inline code", "this is reasoning"). The
// markdown reader and the transcript produce it; app.cc alone maps roles to curses attributes,
// so NO_COLOR and monochrome terminals are decided in one place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gptoss::ui {

enum class Role : uint8_t {
  kText,            // ordinary answer text
  kCode,            // `inline code`
  kCodeBlock,       // a line inside a fenced block (the whole row takes the block's colour)
  kCodeFence,       // the fence line: the block's language
  kCodeKeyword,     // syntax colour inside a fenced block (code_highlight.h)
  kCodeString,
  kCodeComment,
  kHeading,         // # heading
  kBullet,          // list marker
  kQuote,           // > quoted line
  kRule,            // --- horizontal rule
  kUserLabel,       // "You"
  kUserText,        // what the user typed
  kAssistantLabel,  // the model's name above an answer
  kReasoning,       // analysis channel text (dim)
  kReasoningLabel,  // "Thinking..." / "Thought for 12 s, 340 tokens"
  kTool,            // a tool call or a tool's result
  kNotice,          // replies to commands, hints
  kError,           // errors, "interrupted"
  kDemo,            // "random weights" warnings
};

struct Style {
  Role role = Role::kText;
  bool bold = false;
  bool italic = false;
  bool operator==(const Style&) const = default;
};

// A run of UTF-8 text in one style.
struct Span {
  std::string text;
  Style style;
};

// One screen row after wrapping: wide characters, so a cell count is a sum of wcwidth.
struct WideSpan {
  std::wstring text;
  Style style;
};

struct ScreenLine {
  std::vector<WideSpan> spans;
  // Role whose background fills the rest of the row (code blocks), or kText for none.
  Role fill = Role::kText;
};

}  // namespace gptoss::ui
