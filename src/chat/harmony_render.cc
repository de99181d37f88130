// The harmony renderer: section 1 (message shape), 2 (system), 3 (developer), 4 (tool
// namespaces), 5 (conversation), 6 and 10 (which chain of thought is dropped).
#include "chat/harmony_render.h"

#include <algorithm>
#include <map>

#include "chat/json_schema_ts.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace special = tokenizer::special;

// Rust's str::lines(): split on '\n', drop one trailing empty line, strip a '\r' before '\n'.
std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (end < text.size() && !line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    begin = end + 1;
  }
  return lines;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

using NamespaceMap = std::map<std::string, ToolNamespace>;  // sorted by name, as harmony's BTreeMap

NamespaceMap namespaces_by_name(const std::vector<ToolNamespace>& namespaces) {
  NamespaceMap map;
  for (const auto& ns : namespaces) map[ns.name] = ns;  // a repeated name: the last one wins
  return map;
}

// The developer's namespaces: its "tools", plus "functions" made of its function tools.
NamespaceMap developer_namespaces(const DeveloperContent& developer) {
  NamespaceMap map = namespaces_by_name(developer.tools.value_or(std::vector<ToolNamespace>{}));
  if (developer.function_tools)
    map["functions"] = ToolNamespace{"functions", std::nullopt, *developer.function_tools};
  return map;
}

// Section 4: "# Tools", then one block per namespace, joined by blank lines.
std::string tools_section(const NamespaceMap& namespaces) {
  std::vector<std::string> sections = {"# Tools"};
  for (const auto& [name, ns] : namespaces) {
    std::vector<std::string> lines = {"## " + ns.name + "\n"};
    if (ns.description) {
      for (const auto& line : text_lines(*ns.description))
        lines.push_back(ns.tools.empty() ? line : "// " + line);
    }
    if (!ns.tools.empty()) {
      lines.push_back("namespace " + ns.name + " {\n");
      for (const auto& tool : ns.tools) {
        for (const auto& line : text_lines(tool.description)) lines.push_back("// " + line);
        if (tool.parameters) {
          lines.push_back("type " + tool.name + " = (_: " + json_schema_to_typescript(*tool.parameters) +
                          ") => any;\n");
        } else {
          lines.push_back("type " + tool.name + " = () => any;\n");
        }
      }
      lines.push_back("} // namespace " + ns.name);
    }
    sections.push_back(join(lines, "\n"));
  }
  return join(sections, "\n\n");
}

// What the renderer needs of any message: system and developer content become text here.
struct Entry {
  const Message* message = nullptr;  // nullptr for the system and developer messages
  std::string role;
  std::string text;  // system/developer text
  const std::optional<std::string>& channel() const {
    static const std::optional<std::string> kNone;
    return message ? message->channel : kNone;
  }
};

bool has_function_tools(const Conversation& c) {
  if (!c.developer) return false;
  NamespaceMap map = developer_namespaces(*c.developer);
  auto it = map.find("functions");
  return it != map.end() && !it->second.tools.empty();
}

std::vector<Entry> entries_of(const Conversation& c) {
  std::vector<Entry> entries;
  if (c.system) entries.push_back({nullptr, "system", system_message_text(*c.system, has_function_tools(c))});
  if (c.developer) entries.push_back({nullptr, "developer", developer_message_text(*c.developer)});
  for (const auto& m : c.messages) entries.push_back({&m, m.role, ""});
  return entries;
}

bool on_channel(const Entry& e, const char* channel) { return e.channel() && *e.channel() == channel; }

// Which entries the CoT rule leaves out (sections 6 and 10).
std::vector<bool> dropped_entries(const std::vector<Entry>& entries, const RenderOptions& options) {
  std::vector<bool> dropped(entries.size(), false);
  if (!options.auto_drop_analysis) return dropped;
  const size_t n = entries.size();
  size_t boundary = 0;  // analysis before this index is dropped
  if (options.cot_policy == CotPolicy::kHarmony) {
    bool last_assistant_is_final = false;
    for (size_t i = n; i-- > 0;) {
      if (entries[i].role == "assistant") {
        last_assistant_is_final = on_channel(entries[i], "final");
        break;
      }
    }
    if (!last_assistant_is_final) return dropped;
    for (size_t i = 0; i < n; ++i) {
      if (on_channel(entries[i], "final")) {  // the first final message, of any role
        boundary = i;
        break;
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const bool closes_turn =
          entries[i].role == "user" || (entries[i].role == "assistant" && on_channel(entries[i], "final"));
      if (closes_turn) boundary = i;
    }
  }
  for (size_t i = 0; i < boundary; ++i) dropped[i] = on_channel(entries[i], "analysis");
  return dropped;
}

class PieceWriter {
 public:
  void special(int32_t id) { pieces_.push_back(RenderPiece{id, {}}); }
  void text(std::string s) {
    if (!s.empty()) pieces_.push_back(RenderPiece{-1, std::move(s)});
  }
  std::vector<RenderPiece>& pieces() { return pieces_; }

 private:
  std::vector<RenderPiece> pieces_;
};

constexpr std::string_view kConstrain = "<|constrain|>";

// Section 1: <|start|>{header}<|message|>{content}{terminator}.
void render_message(PieceWriter& out, const Entry& e, size_t message_index) {
  out.special(special::kStart);
  if (!e.message) {
    out.text(e.role);
    out.special(special::kMessage);
    out.text(e.text);
    out.special(special::kEnd);
    return;
  }
  const Message& m = *e.message;
  if (m.role == "tool") {  // a tool message is headed by the tool's name; "tool" is never written
    if (!m.name) {
      throw RenderError("messages[" + std::to_string(message_index) +
                        "].name: a tool message needs the tool's name");
    }
    out.text(*m.name);
  } else {
    out.text(m.role);
    if (m.name) out.text(":" + *m.name);
  }
  if (m.recipient && *m.recipient != "all") out.text(" to=" + *m.recipient);
  if (m.channel) {
    out.special(special::kChannel);
    out.text(*m.channel);
  }
  if (m.content_type) {
    if (m.content_type->starts_with(kConstrain)) {
      out.text(" ");
      out.special(special::kConstrain);
      out.text(m.content_type->substr(kConstrain.size()));
    } else {
      out.text(" " + *m.content_type);
    }
  }
  out.special(special::kMessage);
  out.text(m.content);
  // harmony: any recipient (even "all") makes an assistant message a tool call
  out.special(m.role == "assistant" && m.recipient ? special::kCall : special::kEnd);
}

}  // namespace

std::string system_message_text(const SystemContent& system, bool has_function_tools) {
  std::vector<std::string> sections;
  std::vector<std::string> top;
  if (system.model_identity) top.push_back(*system.model_identity);
  if (system.knowledge_cutoff) top.push_back("Knowledge cutoff: " + *system.knowledge_cutoff);
  if (system.conversation_start_date) top.push_back("Current date: " + *system.conversation_start_date);
  if (!top.empty()) sections.push_back(join(top, "\n"));
  if (system.reasoning_effort) sections.push_back("Reasoning: " + *system.reasoning_effort);
  if (system.tools) {
    NamespaceMap namespaces = namespaces_by_name(*system.tools);
    if (!namespaces.empty()) sections.push_back(tools_section(namespaces));
  }
  if (system.channel_config && !system.channel_config->valid_channels.empty()) {
    std::string channels = "# Valid channels: " + join(system.channel_config->valid_channels, ", ") + ".";
    if (system.channel_config->channel_required) channels += " Channel must be included for every message.";
    if (has_function_tools)
      channels += "\nCalls to these tools must go to the commentary channel: 'functions'.";
    sections.push_back(channels);
  }
  return join(sections, "\n\n");
}

std::string developer_message_text(const DeveloperContent& developer) {
  std::vector<std::string> sections;
  if (developer.instructions) {
    sections.push_back("# Instructions");
    sections.push_back(*developer.instructions);
  }
  NamespaceMap namespaces = developer_namespaces(developer);
  if (!namespaces.empty()) sections.push_back(tools_section(namespaces));
  return join(sections, "\n\n");
}

std::vector<RenderPiece> render_pieces(const Conversation& conversation, const RenderOptions& options) {
  const std::vector<Entry> entries = entries_of(conversation);
  const std::vector<bool> dropped = dropped_entries(entries, options);
  const size_t first_message = entries.size() - conversation.messages.size();
  PieceWriter out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!dropped[i]) render_message(out, entries[i], i - std::min(i, first_message));
  }
  switch (options.mode) {
    case RenderMode::kCompletion:
      out.special(special::kStart);
      out.text(options.next_turn_role);
      break;
    case RenderMode::kConversation:
      break;
    case RenderMode::kTraining:
      if (!conversation.messages.empty()) {
        const Message& last = conversation.messages.back();
        if (last.role == "assistant" && last.channel && *last.channel == "final" && !out.pieces().empty()) {
          out.pieces().back() = RenderPiece{special::kReturn, {}};
        }
      }
      break;
  }
  return std::move(out.pieces());
}

std::vector<int32_t> pieces_to_ids(const tokenizer::Tokenizer& tokenizer,
                                   const std::vector<RenderPiece>& pieces) {
  std::vector<int32_t> ids;
  for (const auto& piece : pieces) {
    if (piece.is_special()) {
      ids.push_back(piece.special);
    } else {
      std::vector<int32_t> encoded = tokenizer.encode(piece.text);
      ids.insert(ids.end(), encoded.begin(), encoded.end());
    }
  }
  return ids;
}

std::string pieces_to_text(const std::vector<RenderPiece>& pieces) {
  std::string text;
  for (const auto& piece : pieces)
    text += piece.is_special() ? std::string(harmony_special_string(piece.special)) : piece.text;
  return text;
}

std::vector<int32_t> render_ids(const tokenizer::Tokenizer& tokenizer, const Conversation& conversation,
                                const RenderOptions& options) {
  return pieces_to_ids(tokenizer, render_pieces(conversation, options));
}

std::string render_text(const Conversation& conversation, const RenderOptions& options) {
  return pieces_to_text(render_pieces(conversation, options));
}

std::string_view harmony_special_string(int32_t id) {
  switch (id) {
    case special::kStart:
      return "<|start|>";
    case special::kMessage:
      return "<|message|>";
    case special::kEnd:
      return "<|end|>";
    case special::kCall:
      return "<|call|>";
    case special::kReturn:
      return "<|return|>";
    case special::kChannel:
      return "<|channel|>";
    case special::kConstrain:
      return "<|constrain|>";
    default:
      return {};
  }
}

}  // namespace gptoss::chat
