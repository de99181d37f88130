// A harmony conversation, in the JSON shape of spec/harmony.md section 9. Used by the renderer,
// the CLI, and session files. Absent/null fields are std::nullopt.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/input_limits.h"

namespace gptoss::chat {

// A conversation (or render case) that does not have the section 9 shape. what() names the
// JSON path at fault: "messages[3].role: expected one of user|assistant|tool|system|developer
// (found \"bot\")".
class ConversationError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

using ordered_json = nlohmann::ordered_json;  // parameter key order matters (properties render in order)

struct ToolDescription {
  std::string name;
  std::string description;
  std::optional<ordered_json> parameters;  // a JSON Schema object
};

struct ToolNamespace {
  std::string name;
  std::optional<std::string> description;
  std::vector<ToolDescription> tools;
};

struct ChannelConfig {
  std::vector<std::string> valid_channels;
  bool channel_required = false;
};

struct SystemContent {
  std::optional<std::string> model_identity;
  std::optional<std::string> reasoning_effort;  // "low" | "medium" | "high"
  std::optional<std::string> knowledge_cutoff;
  std::optional<std::string> conversation_start_date;
  std::optional<ChannelConfig> channel_config;
  std::optional<std::vector<ToolNamespace>> tools;  // built-in tools (browser, python)
};

struct DeveloperContent {
  std::optional<std::string> instructions;
  std::optional<std::vector<ToolDescription>> function_tools;
  std::optional<std::vector<ToolNamespace>> tools;
};

struct Message {
  std::string role;                 // "user" | "assistant" | "tool" | "system" | "developer"
  std::optional<std::string> name;  // author; for role "tool" the tool's name
  std::optional<std::string> recipient;
  std::optional<std::string> channel;
  std::optional<std::string> content_type;  // e.g. "<|constrain|>json"
  std::string content;
};

struct Conversation {
  std::optional<SystemContent> system;
  std::optional<DeveloperContent> developer;
  std::vector<Message> messages;
};

// JSON <-> structs. from_json throws ConversationError naming the JSON path at fault
// (e.g. "messages[3].role: expected a string (found number)"); unknown keys are errors too, so
// a misspelt field is never silently ignored. to_json writes every field (null when not set) in
// the order of section 9, so to_json(from_json(j)) == j for a complete j.
Conversation conversation_from_json(const ordered_json& j);
ordered_json conversation_to_json(const Conversation& c);
Message message_from_json(const ordered_json& j, const std::string& path = "message");
ordered_json message_to_json(const Message& m);

// The nesting check every JSON reader shares (common/input_limits.h).
using gptoss::find_excess_json_nesting;
using gptoss::kMaxJsonNesting;

// `s` as a one-line JSON string literal (quotes, backslashes and control characters escaped), so
// that text from a file or the model keeps an error message on one line.
std::string json_quoted(std::string_view s);

// harmony's SystemContent::new(): identity, medium effort, cutoff 2024-06, the three channels
// required, no date, no tools.
SystemContent default_system_content();

}  // namespace gptoss::chat
