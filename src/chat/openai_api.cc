// OpenAI chat completions <-> harmony conversations and chat events.
#include "chat/openai_api.h"

#include <algorithm>

namespace gptoss::chat {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& param, const std::string& message, int status = 400,
                      const std::string& code = "") {
  throw ApiException(ApiError{status, "invalid_request_error", code, param, message});
}

std::string type_name(const json& v) { return v.type_name(); }

const json* field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string string_field(const json& object, const char* key, const std::string& path) {
  const json* v = field(object, key);
  if (!v) return "";
  if (!v->is_string()) bad(path, path + ": expected a string (found " + type_name(*v) + ")");
  return v->get<std::string>();
}

double number_in(const json& v, const std::string& path, double lo, double hi, bool lo_exclusive = false) {
  if (!v.is_number()) bad(path, path + ": expected a number (found " + type_name(v) + ")");
  const double x = v.get<double>();
  if (!(lo_exclusive ? x > lo : x >= lo) || !(x <= hi)) {
    bad(path, path + ": " + std::to_string(x) + " is out of range (expected " + (lo_exclusive ? "(" : "[") +
                  std::to_string(lo) + ", " + std::to_string(hi) + "])");
  }
  return x;
}

int64_t integer_in(const json& v, const std::string& path, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) bad(path, path + ": expected an integer (found " + type_name(v) + ")");
  const int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                        ? INT64_MAX
                        : v.get<int64_t>();
  if (n < lo || n > hi) {
    bad(path, path + ": " + std::to_string(n) + " is out of range (expected " + std::to_string(lo) + ".." +
                  std::to_string(hi) + ")");
  }
  return n;
}

// A message's content: a string, or an array of {"type": "text", "text": ...} parts.
std::string content_text(const json& message, const std::string& path) {
  const json* c = field(message, "content");
  if (!c) return "";
  if (c->is_string()) return c->get<std::string>();
  if (!c->is_array()) bad(path + ".content", path + ".content: expected a string or an array of parts");
  std::string text;
  for (size_t i = 0; i < c->size(); ++i) {
    const json& part = (*c)[i];
    const std::string p = path + ".content[" + std::to_string(i) + "]";
    if (!part.is_object() || string_field(part, "type", p + ".type") != "text") {
      bad(p, p + ": only text parts are supported");
    }
    text += string_field(part, "text", p + ".text");
  }
  return text;
}

bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::vector<ToolDescription> parse_tools(const json& tools, const ApiLimits& limits) {
  if (!tools.is_array()) bad("tools", "tools: expected an array (found " + type_name(tools) + ")");
  if (tools.size() > limits.max_tools) {
    bad("tools", "tools: " + std::to_string(tools.size()) + " tools (expected at most " +
                     std::to_string(limits.max_tools) + ")");
  }
  std::vector<ToolDescription> out;
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string p = "tools[" + std::to_string(i) + "]";
    const json& t = tools[i];
    if (!t.is_object() || string_field(t, "type", p + ".type") != "function") {
      bad(p + ".type", p + ".type: expected \"function\"");
    }
    const json* f = field(t, "function");
    if (!f || !f->is_object()) bad(p + ".function", p + ".function: expected an object");
    ToolDescription d;
    d.name = string_field(*f, "name", p + ".function.name");
    if (!valid_tool_name(d.name)) {
      bad(p + ".function.name",
          p + ".function.name: expected 1 to 64 of a-z A-Z 0-9 _ - (found " + json_quoted(d.name) + ")");
    }
    d.description = string_field(*f, "description", p + ".function.description");
    if (const json* params = field(*f, "parameters")) {
      if (!params->is_object())
        bad(p + ".function.parameters", p + ".function.parameters: expected an object");
      d.parameters = ordered_json::parse(params->dump());
    }
    out.push_back(std::move(d));
  }
  return out;
}

void parse_messages(const json& messages, const ApiLimits& limits, SessionState& state) {
  if (!messages.is_array())
    bad("messages", "messages: expected an array (found " + type_name(messages) + ")");
  if (messages.empty()) bad("messages", "messages: expected at least one message");
  if (messages.size() > limits.max_messages) {
    bad("messages", "messages: " + std::to_string(messages.size()) + " messages (expected at most " +
                        std::to_string(limits.max_messages) + ")");
  }
  std::vector<std::pair<std::string, std::string>> call_names;  // tool_call id -> function name
  std::vector<std::string> instructions;
  std::string last_role;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    const json& m = messages[i];
    if (!m.is_object()) bad(p, p + ": expected an object (found " + type_name(m) + ")");
    const std::string role = string_field(m, "role", p + ".role");
    last_role = role;
    if (role == "system" || role == "developer") {
      instructions.push_back(content_text(m, p));
    } else if (role == "user") {
      state.conversation.messages.push_back(Message{"user", {}, {}, {}, {}, content_text(m, p)});
    } else if (role == "assistant") {
      std::string reasoning = string_field(m, "reasoning_content", p + ".reasoning_content");
      if (reasoning.empty()) reasoning = string_field(m, "reasoning", p + ".reasoning");
      if (!reasoning.empty()) {
        state.conversation.messages.push_back(Message{"assistant", {}, {}, "analysis", {}, reasoning});
      }
      const std::string text = content_text(m, p);
      const json* calls = field(m, "tool_calls");
      if (calls && !calls->is_array()) bad(p + ".tool_calls", p + ".tool_calls: expected an array");
      if (!text.empty() || !calls || calls->empty()) {
        // Text beside tool calls is a preamble (commentary); otherwise the answer.
        const bool preamble = calls && !calls->empty();
        state.conversation.messages.push_back(
            Message{"assistant", {}, {}, preamble ? "commentary" : "final", {}, text});
      }
      for (size_t k = 0; calls && k < calls->size(); ++k) {
        const std::string q = p + ".tool_calls[" + std::to_string(k) + "]";
        const json& call = (*calls)[k];
        if (!call.is_object()) bad(q, q + ": expected an object");
        const json* f = field(call, "function");
        if (!f || !f->is_object()) bad(q + ".function", q + ".function: expected an object");
        const std::string name = string_field(*f, "name", q + ".function.name");
        if (!valid_tool_name(name)) bad(q + ".function.name", q + ".function.name: not a function name");
        call_names.emplace_back(string_field(call, "id", q + ".id"), name);
        state.conversation.messages.push_back(
            Message{"assistant",
                    {},
                    "functions." + name,
                    "commentary",
                    "<|constrain|>json",
                    string_field(*f, "arguments", q + ".function.arguments")});
      }
    } else if (role == "tool") {
      const std::string id = string_field(m, "tool_call_id", p + ".tool_call_id");
      std::string name = string_field(m, "name", p + ".name");
      for (const auto& [call_id, call_name] : call_names) {
        if (!id.empty() && call_id == id) name = call_name;
      }
      if (name.empty()) {
        bad(p + ".tool_call_id", p + ".tool_call_id: " + json_quoted(id) + " names no earlier tool call");
      }
      state.conversation.messages.push_back(
          Message{"tool", "functions." + name, "assistant", "commentary", {}, content_text(m, p)});
    } else {
      bad(p + ".role", p + ".role: expected one of system, developer, user, assistant, tool (found " +
                           json_quoted(role) + ")");
    }
  }
  if (last_role != "user" && last_role != "tool") {
    bad("messages",
        "messages: the last message must be from the user or a tool (found " + json_quoted(last_role) + ")");
  }
  const auto& msgs = state.conversation.messages;
  if (std::none_of(msgs.begin(), msgs.end(), [](const Message& m) { return m.role == "user"; })) {
    bad("messages", "messages: expected at least one user message");
  }
  for (size_t i = 0; i < instructions.size(); ++i) {
    state.settings.instructions += (i ? "\n\n" : "") + instructions[i];
  }
}

}  // namespace

json error_body(const ApiError& e) {
  return {{"error",
           {{"message", e.message},
            {"type", e.type},
            {"param", e.param.empty() ? json(nullptr) : json(e.param)},
            {"code", e.code.empty() ? json(nullptr) : json(e.code)}}}};
}

std::string function_name(const std::string& recipient) {
  const std::string prefix = "functions.";
  return recipient.rfind(prefix, 0) == 0 ? recipient.substr(prefix.size()) : recipient;
}

CompletionRequest parse_completion_request(const std::string& body, const ApiLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    bad("",
        "the request body is " + std::to_string(body.size()) + " bytes (expected at most " +
            std::to_string(limits.max_body_bytes) + ")",
        413);
  }
  if (find_excess_json_nesting(body) != std::string_view::npos) {
    bad("", "the request body nests deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad("", "We could not parse the JSON body of your request (expected JSON).");
  if (!j.is_object()) bad("", "the request body must be a JSON object (found " + type_name(j) + ")");

  CompletionRequest r;
  r.model = string_field(j, "model", "model");
  const json* messages = field(j, "messages");
  if (!messages) bad("messages", "messages: required");
  parse_messages(*messages, limits, r.state);

  SessionSettings& s = r.state.settings;
  if (const json* effort = field(j, "reasoning_effort")) {
    auto parsed = effort->is_string() ? parse_effort(effort->get<std::string>()) : std::nullopt;
    if (!parsed)
      bad("reasoning_effort",
          "reasoning_effort: expected low, medium or high (found " + effort->dump() + ")");
    s.effort = *parsed;
  }
  if (const json* t = field(j, "temperature")) s.sampling.temperature = number_in(*t, "temperature", 0, 2);
  if (const json* p = field(j, "top_p"))
    s.sampling.top_p = number_in(*p, "top_p", 0, 1, /*lo_exclusive=*/true);
  if (const json* k = field(j, "top_k"))
    s.sampling.top_k = static_cast<int>(integer_in(*k, "top_k", 0, 1 << 30));
  if (const json* seed = field(j, "seed")) {
    s.sampling.seed = static_cast<uint64_t>(integer_in(*seed, "seed", INT64_MIN, INT64_MAX));
    r.fresh_sampler = true;
  }
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    if (const json* n = field(j, name))
      r.max_tokens = static_cast<int>(integer_in(*n, name, 1, limits.max_tokens));
  }
  if (const json* n = field(j, "n"); n && integer_in(*n, "n", 1, 1) != 1) bad("n", "n: only 1 is supported");
  if (const json* stop = field(j, "stop")) {
    if (stop->is_string()) {
      r.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= limits.max_stop) {
      for (const json& x : *stop) {
        if (!x.is_string()) bad("stop", "stop: expected strings");
        r.stop.push_back(x.get<std::string>());
      }
    } else {
      bad("stop", "stop: expected a string or up to " + std::to_string(limits.max_stop) + " strings");
    }
    if (std::any_of(r.stop.begin(), r.stop.end(), [](const std::string& x) { return x.empty(); })) {
      bad("stop", "stop: an empty stop sequence");
    }
  }
  if (const json* stream = field(j, "stream")) {
    if (!stream->is_boolean()) bad("stream", "stream: expected a boolean");
    r.stream = stream->get<bool>();
  }
  if (const json* options = field(j, "stream_options")) {
    if (!options->is_object()) bad("stream_options", "stream_options: expected an object");
    if (const json* usage = field(*options, "include_usage"))
      r.include_usage = usage->is_boolean() && usage->get<bool>();
  }
  if (const json* format = field(j, "response_format")) {
    if (!format->is_object() || string_field(*format, "type", "response_format.type") != "text") {
      bad("response_format", "response_format: only {\"type\": \"text\"} is supported");
    }
  }
  bool tools_off = false;
  if (const json* choice = field(j, "tool_choice")) {
    if (choice->is_string()) {
      const std::string c = choice->get<std::string>();
      if (c != "none" && c != "auto" && c != "required") {
        bad("tool_choice",
            "tool_choice: expected none, auto, required or a function (found " + json_quoted(c) + ")");
      }
      tools_off = c == "none";
    } else if (!choice->is_object()) {
      bad("tool_choice", "tool_choice: expected a string or an object");
    }
  }
  if (const json* tools = field(j, "tools"); tools && !tools_off)
    s.function_tools = parse_tools(*tools, limits);
  return r;
}

// ---- The response ------------------------------------------------------------------------------

CompletionAssembler::CompletionAssembler(std::string id, std::string model, int64_t created,
                                         std::vector<std::string> stop)
    : id_(std::move(id)), model_(std::move(model)), created_(created), stop_(std::move(stop)) {}

json CompletionAssembler::chunk(json delta, const json& finish_reason) const {
  return {{"id", id_},
          {"object", "chat.completion.chunk"},
          {"created", created_},
          {"model", model_},
          {"system_fingerprint", nullptr},
          {"choices", json::array({{{"index", 0},
                                    {"delta", std::move(delta)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason}}})}};
}

std::string CompletionAssembler::take_content(const std::string& text) {
  if (stop_seen_) return "";
  held_ += text;
  size_t cut = std::string::npos;
  for (const std::string& s : stop_) cut = std::min(cut, held_.find(s));
  std::string out;
  if (cut != std::string::npos) {
    out = held_.substr(0, cut);
    held_.clear();
    stop_seen_ = true;
  } else {
    // Hold back the longest tail that begins some stop sequence.
    size_t keep = 0;
    for (const std::string& s : stop_) {
      for (size_t n = std::min(s.size() - 1, held_.size()); n > keep; --n) {
        if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
          keep = n;
          break;
        }
      }
    }
    out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
  }
  content_ += out;
  return out;
}

std::vector<json> CompletionAssembler::on_event(const ChatEvent& event) {
  std::vector<json> out;
  auto emit = [&](json delta) {
    if (!role_sent_) {
      role_sent_ = true;
      out.push_back(chunk({{"role", "assistant"}, {"content", ""}}));
    }
    out.push_back(chunk(std::move(delta)));
  };
  if (const auto* started = std::get_if<MessageStarted>(&event)) {
    channel_ = started->channel;
    in_tool_call_ = started->recipient.has_value() && !stop_seen_;
    if (in_tool_call_) {
      const size_t index = tool_calls_.size();
      const std::string call_id = "call_" + id_.substr(id_.find('-') + 1) + "_" + std::to_string(index);
      const std::string name = function_name(*started->recipient);
      tool_calls_.push_back(
          {{"id", call_id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", ""}}}});
      emit({{"tool_calls", json::array({{{"index", index},
                                         {"id", call_id},
                                         {"type", "function"},
                                         {"function", {{"name", name}, {"arguments", ""}}}}})}});
    }
  } else if (const auto* delta = std::get_if<TextDelta>(&event)) {
    if (in_tool_call_) {
      const size_t index = tool_calls_.size() - 1;
      tool_calls_[index]["function"]["arguments"] =
          tool_calls_[index]["function"]["arguments"].get<std::string>() + delta->text;
      emit({{"tool_calls", json::array({{{"index", index}, {"function", {{"arguments", delta->text}}}}})}});
    } else if (delta->channel && *delta->channel == "analysis") {
      reasoning_ += delta->text;
      emit({{"reasoning_content", delta->text}});
    } else {
      const std::string text = take_content(delta->text);
      if (!text.empty()) emit({{"content", text}});
    }
  } else if (std::holds_alternative<MessageFinished>(event)) {
    in_tool_call_ = false;
  }
  return out;
}

std::string CompletionAssembler::finish_reason(TurnEnd end, bool stop_seen) {
  if (stop_seen) return "stop";
  switch (end) {
    case TurnEnd::kToolCalls:
    case TurnEnd::kToolRoundsExhausted:
      return "tool_calls";
    case TurnEnd::kBudgetExhausted:
    case TurnEnd::kContextFull:
      return "length";
    default:
      return "stop";
  }
}

static json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

std::vector<json> CompletionAssembler::finish_chunks(TurnEnd end, const Usage& usage, bool include_usage) {
  std::vector<json> out;
  if (!role_sent_) {
    role_sent_ = true;
    out.push_back(chunk({{"role", "assistant"}, {"content", ""}}));
  }
  if (!held_.empty()) {
    content_ += held_;
    out.push_back(chunk({{"content", std::exchange(held_, "")}}));
  }
  out.push_back(chunk(json::object(), finish_reason(end, stop_seen_)));
  if (include_usage) {
    json last = chunk(json::object());
    last["choices"] = json::array();
    last["usage"] = usage_json(usage);
    out.push_back(std::move(last));
  }
  return out;
}

json CompletionAssembler::response(TurnEnd end, const Usage& usage) {
  content_ += std::exchange(held_, "");
  json message = {{"role", "assistant"},
                  {"content", content_.empty() && !tool_calls_.empty() ? json(nullptr) : json(content_)},
                  {"refusal", nullptr}};
  if (!reasoning_.empty()) message["reasoning_content"] = reasoning_;
  if (!tool_calls_.empty()) message["tool_calls"] = tool_calls_;
  return {{"id", id_},
          {"object", "chat.completion"},
          {"created", created_},
          {"model", model_},
          {"system_fingerprint", nullptr},
          {"choices", json::array({{{"index", 0},
                                    {"message", std::move(message)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason(end, stop_seen_)}}})},
          {"usage", usage_json(usage)}};
}

}  // namespace gptoss::chat
