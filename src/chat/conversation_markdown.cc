#include "chat/conversation_markdown.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace gptoss::chat {
namespace {

// `text` with `prefix` before each of its lines.
std::string prefixed(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string fenced(const std::string& text, const std::string& language) {
  const std::string fence = code_fence_for(text);
  return fence + language + "\n" + text + (text.ends_with('\n') ? "" : "\n") + fence + "\n";
}

std::string language_of(const Message& m) {
  return m.content_type && m.content_type->find("json") != std::string::npos ? "json" : "";
}

std::string reasoning_block(const std::string& text, ReasoningStyle style) {
  switch (style) {
    case ReasoningStyle::kDetails:
      return "<details>\n<summary>Reasoning</summary>\n\n" + text + "\n\n</details>\n";
    case ReasoningStyle::kQuoted:
      return "> **Reasoning**\n>\n" + prefixed(text, "> ");
    case ReasoningStyle::kOmitted:
      break;
  }
  return "";
}

std::string section_title(const std::string& role) {
  if (role == "user") return "User";
  if (role == "assistant" || role == "tool") return "Assistant";  // tool results belong to its turn
  std::string r = role;
  if (!r.empty()) r[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r[0])));
  return r;
}

}  // namespace

std::string code_fence_for(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string conversation_markdown(const Conversation& conversation, const MarkdownOptions& options) {
  std::vector<std::string> blocks;  // joined by blank lines
  if (!options.title.empty()) blocks.push_back("# " + options.title + "\n");
  if (!options.instructions.empty())
    blocks.push_back("> **Instructions**\n>\n" + prefixed(options.instructions, "> "));
  std::string section;
  for (const Message& m : conversation.messages) {
    const std::string title = section_title(m.role);
    if (title != section) {
      blocks.push_back("## " + title + "\n");
      section = title;
    }
    const std::string text = trimmed(m.content);
    if (m.role == "tool") {
      blocks.push_back("Result of `" + m.name.value_or("tool") + "`:\n\n" + fenced(text, language_of(m)));
    } else if (m.recipient) {
      blocks.push_back("Call to `" + *m.recipient + "`:\n\n" + fenced(text, language_of(m)));
    } else if (m.role == "assistant" && m.channel == "analysis") {
      if (options.reasoning != ReasoningStyle::kOmitted && !text.empty())
        blocks.push_back(reasoning_block(text, options.reasoning));
    } else if (!text.empty()) {
      blocks.push_back(text + "\n");
    }
  }
  std::string out;
  for (const std::string& b : blocks) out += (out.empty() ? "" : "\n") + b;
  return out;
}

}  // namespace gptoss::chat
