// Light markdown for answers: headings, **bold**, *italic*, `inline code`, lists, quotes, rules
// and fenced code blocks. The model's text is re-read on every streamed delta, so an unclosed
// marker stays literal until its closer arrives; nothing here needs the terminal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ui/styled_text.h"

namespace gptoss::ui {

// One source line of an answer, with its markers turned into styles.
struct MarkdownLine {
  std::vector<Span> spans;
  int hang = 0;       // cells continuation rows are indented by (list items, quotes)
  bool code = false;  // inside a fenced block: keep spaces, break at the edge, fill the row
  bool rule = false;  // a horizontal rule: drawn across the whole width
};

// Splits `text` into lines and classifies each one. Never fails: anything it does not recognise
// is ordinary text.
std::vector<MarkdownLine> render_markdown(std::string_view text);

// A fenced code block of an answer: its language tag ("" if none) and its lines, unwrapped.
struct CodeBlock {
  std::string lang;
  std::string code;
};

// The fenced code blocks of `text` in order; an unclosed last block (a reply cut short) counts.
std::vector<CodeBlock> fenced_code_blocks(std::string_view text);

// The inline markup of one line (code, bold, italic) on top of `base`. Markers without a closer
// on the same line are kept as literal text; `snake_case_names` keep their underscores.
std::vector<Span> parse_inline(std::string_view line, Style base);

}  // namespace gptoss::ui
