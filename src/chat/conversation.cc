// The section 9 JSON shape <-> Conversation. Every read checks its type and names the JSON path
// on failure; null and absent both mean "not set".
#include "chat/conversation.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace gptoss::chat {
namespace {

const char* json_type_name(const ordered_json& j) {
  switch (j.type()) {
    case ordered_json::value_t::null:
      return "null";
    case ordered_json::value_t::object:
      return "object";
    case ordered_json::value_t::array:
      return "array";
    case ordered_json::value_t::string:
      return "string";
    case ordered_json::value_t::boolean:
      return "boolean";
    case ordered_json::value_t::binary:
      return "binary";
    case ordered_json::value_t::discarded:
      return "discarded";
    default:
      return "number";
  }
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw ConversationError(path + ": " + problem);
}

[[noreturn]] void wrong_type(const std::string& path, const char* expected, const ordered_json& found) {
  fail(path, std::string("expected ") + expected + " (found " + json_type_name(found) + ")");
}

// The object at `path`, with every key checked against `known`.
const ordered_json& object_at(const ordered_json& j, const std::string& path,
                              std::initializer_list<std::string_view> known) {
  if (!j.is_object()) wrong_type(path, "an object", j);
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string quoted = json_quoted(capped(key));  // a key may hold a newline
      fail(path + "." + quoted.substr(1, quoted.size() - 2), "unknown field");
    }
  }
  return j;
}

// The member `key` of object `j`, or nullptr when absent or null.
const ordered_json* member(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> optional_string(const ordered_json& j, const std::string& path, const char* key) {
  const ordered_json* v = member(j, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(path + "." + key, "a string", *v);
  return v->get<std::string>();
}

std::string required_string(const ordered_json& j, const std::string& path, const char* key) {
  auto s = optional_string(j, path, key);
  if (!s) fail(path + "." + key, "missing (expected a string)");
  return *s;
}

// Each element of the array member `key` (absent/null: nullopt) through `read(element, path)`.
template <typename T, typename Read>
std::optional<std::vector<T>> optional_array(const ordered_json& j, const std::string& path, const char* key,
                                             Read read) {
  const ordered_json* v = member(j, key);
  if (!v) return std::nullopt;
  std::string array_path = path + "." + key;
  if (!v->is_array()) wrong_type(array_path, "an array", *v);
  std::vector<T> out;
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    out.push_back(read((*v)[i], array_path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

std::string string_element(const ordered_json& j, const std::string& path) {
  if (!j.is_string()) wrong_type(path, "a string", j);
  return j.get<std::string>();
}

// Real tool schemas nest a few levels. Copying and rendering a schema recurse once per level, so
// a schema nesting thousands of levels would overflow the stack instead of being refused.
constexpr size_t kMaxSchemaLevels = 100;

// The deepest nesting of arrays and objects in `j` (a scalar: 0), counted without recursion.
size_t json_depth(const ordered_json& j) {
  size_t deepest = 0;
  std::vector<std::pair<const ordered_json*, size_t>> stack = {{&j, 1}};
  while (!stack.empty()) {
    const auto [value, depth] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    deepest = std::max(deepest, depth);
    for (const auto& child : *value) stack.emplace_back(&child, depth + 1);
  }
  return deepest;
}

// How many schemas deep `schema` nests (a schema without subschemas: 1), following the JSON
// Schema keywords that hold subschemas; data such as "enum" or "default" is not a schema level.
// Counted without recursion.
size_t schema_levels(const ordered_json& schema) {
  static constexpr std::string_view kSchemaMaps[] = {"properties", "patternProperties", "$defs",
                                                     "definitions", "dependentSchemas"};
  static constexpr std::string_view kSchemaLists[] = {"anyOf", "oneOf", "allOf", "prefixItems"};
  static constexpr std::string_view kSubschemas[] = {
      "items", "additionalProperties",  "additionalItems", "not", "contains", "propertyNames", "if", "then",
      "else",  "unevaluatedProperties", "unevaluatedItems"};
  auto listed = [](const auto& keys, const std::string& key) {
    return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
  };
  size_t deepest = 0;
  std::vector<std::pair<const ordered_json*, size_t>> stack = {{&schema, 1}};
  while (!stack.empty()) {
    const auto [value, level] = stack.back();
    stack.pop_back();
    if (!value->is_object()) continue;
    deepest = std::max(deepest, level);
    for (const auto& [key, child] : value->items()) {
      if (listed(kSchemaMaps, key) && child.is_object()) {
        for (const auto& sub : child) stack.emplace_back(&sub, level + 1);
      } else if ((listed(kSchemaLists, key) || listed(kSubschemas, key)) && child.is_array()) {
        for (const auto& sub : child) stack.emplace_back(&sub, level + 1);  // "items": [..] too
      } else if (listed(kSubschemas, key)) {
        stack.emplace_back(&child, level + 1);
      }
    }
  }
  return deepest;
}

ToolDescription tool_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path, {"name", "description", "parameters"});
  ToolDescription tool;
  tool.name = required_string(j, path, "name");
  tool.description = optional_string(j, path, "description").value_or("");
  if (const ordered_json* p = member(j, "parameters")) {
    if (!p->is_object()) wrong_type(path + ".parameters", "a JSON Schema object", *p);
    if (const size_t depth = json_depth(*p); depth > kMaxJsonNesting) {
      fail(path + ".parameters", "nested too deeply (expected at most " + std::to_string(kMaxJsonNesting) +
                                     " JSON levels, found " + std::to_string(depth) + ")");
    }
    if (const size_t levels = schema_levels(*p); levels > kMaxSchemaLevels) {
      fail(path + ".parameters", "nested too deeply (expected at most " + std::to_string(kMaxSchemaLevels) +
                                     " schema levels, found " + std::to_string(levels) + ")");
    }
    tool.parameters = *p;
  }
  return tool;
}

ToolNamespace namespace_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path, {"name", "description", "tools"});
  ToolNamespace ns;
  ns.name = required_string(j, path, "name");
  ns.description = optional_string(j, path, "description");
  ns.tools = optional_array<ToolDescription>(j, path, "tools", tool_from_json)
                 .value_or(std::vector<ToolDescription>{});
  return ns;
}

ChannelConfig channel_config_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path, {"valid_channels", "channel_required"});
  ChannelConfig config;
  config.valid_channels = optional_array<std::string>(j, path, "valid_channels", string_element)
                              .value_or(std::vector<std::string>{});
  if (const ordered_json* r = member(j, "channel_required")) {
    if (!r->is_boolean()) wrong_type(path + ".channel_required", "a boolean", *r);
    config.channel_required = r->get<bool>();
  }
  return config;
}

SystemContent system_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path,
            {"model_identity", "reasoning_effort", "knowledge_cutoff", "conversation_start_date",
             "channel_config", "tools"});
  SystemContent system;
  system.model_identity = optional_string(j, path, "model_identity");
  system.reasoning_effort = optional_string(j, path, "reasoning_effort");
  if (system.reasoning_effort && *system.reasoning_effort != "low" && *system.reasoning_effort != "medium" &&
      *system.reasoning_effort != "high") {
    fail(path + ".reasoning_effort",
         "expected low|medium|high (found " + json_quoted(capped(*system.reasoning_effort)) + ")");
  }
  system.knowledge_cutoff = optional_string(j, path, "knowledge_cutoff");
  system.conversation_start_date = optional_string(j, path, "conversation_start_date");
  if (const ordered_json* c = member(j, "channel_config")) {
    system.channel_config = channel_config_from_json(*c, path + ".channel_config");
  }
  system.tools = optional_array<ToolNamespace>(j, path, "tools", namespace_from_json);
  return system;
}

DeveloperContent developer_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path, {"instructions", "function_tools", "tools"});
  DeveloperContent developer;
  developer.instructions = optional_string(j, path, "instructions");
  developer.function_tools = optional_array<ToolDescription>(j, path, "function_tools", tool_from_json);
  developer.tools = optional_array<ToolNamespace>(j, path, "tools", namespace_from_json);
  return developer;
}

ordered_json optional_to_json(const std::optional<std::string>& s) {
  return s ? ordered_json(*s) : ordered_json();
}

ordered_json tool_to_json(const ToolDescription& tool) {
  ordered_json j = ordered_json::object();
  j["name"] = tool.name;
  j["description"] = tool.description;
  j["parameters"] = tool.parameters ? *tool.parameters : ordered_json();
  return j;
}

ordered_json tools_to_json(const std::vector<ToolDescription>& tools) {
  ordered_json j = ordered_json::array();
  for (const auto& t : tools) j.push_back(tool_to_json(t));
  return j;
}

ordered_json namespaces_to_json(const std::vector<ToolNamespace>& namespaces) {
  ordered_json j = ordered_json::array();
  for (const auto& ns : namespaces) {
    ordered_json n = ordered_json::object();
    n["name"] = ns.name;
    n["description"] = optional_to_json(ns.description);
    n["tools"] = tools_to_json(ns.tools);
    j.push_back(std::move(n));
  }
  return j;
}

}  // namespace

Message message_from_json(const ordered_json& j, const std::string& path) {
  object_at(j, path, {"role", "name", "recipient", "channel", "content_type", "content"});
  Message m;
  m.role = required_string(j, path, "role");
  if (m.role != "user" && m.role != "assistant" && m.role != "tool" && m.role != "system" &&
      m.role != "developer") {
    fail(path + ".role",
         "expected one of user|assistant|tool|system|developer (found " + json_quoted(capped(m.role)) + ")");
  }
  m.name = optional_string(j, path, "name");
  m.recipient = optional_string(j, path, "recipient");
  m.channel = optional_string(j, path, "channel");
  m.content_type = optional_string(j, path, "content_type");
  m.content = optional_string(j, path, "content").value_or("");
  return m;
}

ordered_json message_to_json(const Message& m) {
  ordered_json j = ordered_json::object();
  j["role"] = m.role;
  j["name"] = optional_to_json(m.name);
  j["recipient"] = optional_to_json(m.recipient);
  j["channel"] = optional_to_json(m.channel);
  j["content_type"] = optional_to_json(m.content_type);
  j["content"] = m.content;
  return j;
}

Conversation conversation_from_json(const ordered_json& j) {
  const std::string path = "conversation";
  object_at(j, path, {"system", "developer", "messages"});
  Conversation c;
  if (const ordered_json* s = member(j, "system")) c.system = system_from_json(*s, path + ".system");
  if (const ordered_json* d = member(j, "developer"))
    c.developer = developer_from_json(*d, path + ".developer");
  c.messages =
      optional_array<Message>(j, path, "messages", message_from_json).value_or(std::vector<Message>{});
  return c;
}

ordered_json conversation_to_json(const Conversation& c) {
  ordered_json j = ordered_json::object();
  if (c.system) {
    const SystemContent& s = *c.system;
    ordered_json sj = ordered_json::object();
    sj["model_identity"] = optional_to_json(s.model_identity);
    sj["reasoning_effort"] = optional_to_json(s.reasoning_effort);
    sj["knowledge_cutoff"] = optional_to_json(s.knowledge_cutoff);
    sj["conversation_start_date"] = optional_to_json(s.conversation_start_date);
    if (s.channel_config) {
      ordered_json cc = ordered_json::object();
      cc["valid_channels"] = s.channel_config->valid_channels;
      cc["channel_required"] = s.channel_config->channel_required;
      sj["channel_config"] = std::move(cc);
    } else {
      sj["channel_config"] = nullptr;
    }
    sj["tools"] = s.tools ? namespaces_to_json(*s.tools) : ordered_json();
    j["system"] = std::move(sj);
  } else {
    j["system"] = nullptr;
  }
  if (c.developer) {
    const DeveloperContent& d = *c.developer;
    ordered_json dj = ordered_json::object();
    dj["instructions"] = optional_to_json(d.instructions);
    dj["function_tools"] = d.function_tools ? tools_to_json(*d.function_tools) : ordered_json();
    dj["tools"] = d.tools ? namespaces_to_json(*d.tools) : ordered_json();
    j["developer"] = std::move(dj);
  } else {
    j["developer"] = nullptr;
  }
  ordered_json messages = ordered_json::array();
  for (const auto& m : c.messages) messages.push_back(message_to_json(m));
  j["messages"] = std::move(messages);
  return j;
}

std::string json_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\', out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out += "0123456789abcdef"[(c >> 4) & 0xF];
      out += "0123456789abcdef"[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

SystemContent default_system_content() {
  SystemContent s;
  s.model_identity = "You are ChatGPT, a large language model trained by OpenAI.";
  s.reasoning_effort = "medium";
  s.knowledge_cutoff = "2024-06";
  s.channel_config = ChannelConfig{{"analysis", "commentary", "final"}, true};
  return s;
}

}  // namespace gptoss::chat
