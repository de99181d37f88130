// A conversation as Markdown, for people to read: `sessions show`, /export, and the transcript the
// chat leaves in the terminal's scrollback. One "## User" / "## Assistant" section per turn; the
// reasoning as a collapsed <details> block (or a quoted block, for a terminal); tool calls and tool
// results in code fences.
#pragma once

#include <string>

#include "chat/conversation.h"

namespace gptoss::chat {

enum class ReasoningStyle {
  kDetails,  // <details><summary>Reasoning</summary> ... </details>: collapsed where HTML renders
  kQuoted,   // "> " before each line: readable as plain text
  kOmitted,
};

struct MarkdownOptions {
  std::string title;         // "# title" on top when not empty
  std::string instructions;  // the developer instructions, quoted under the title when not empty
  ReasoningStyle reasoning = ReasoningStyle::kDetails;
};

std::string conversation_markdown(const Conversation& conversation, const MarkdownOptions& options = {});

// A fence of backticks longer than any run of backticks in `text` (at least three), so a code
// block holding fences of its own is not cut short.
std::string code_fence_for(const std::string& text);

}  // namespace gptoss::chat
