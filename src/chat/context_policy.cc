// The model-free half of the chat manager: settings as text, dates, UTF-8 repair of user text,
// headers from settings, the prompt view, the context window. (Rendering to ids lives in
// next_prompt.cc, so this file links without the tokenizer.)
#include "chat/context_policy.h"

#include <algorithm>
#include <cstdint>
#include <ctime>

namespace gptoss::chat {

std::string_view to_string(ReasoningEffort effort) {
  switch (effort) {
    case ReasoningEffort::kLow:
      return "low";
    case ReasoningEffort::kMedium:
      return "medium";
    case ReasoningEffort::kHigh:
      return "high";
  }
  return "medium";
}

std::optional<ReasoningEffort> parse_effort(std::string_view text) {
  if (text == "low") return ReasoningEffort::kLow;
  if (text == "medium") return ReasoningEffort::kMedium;
  if (text == "high") return ReasoningEffort::kHigh;
  return std::nullopt;
}

namespace {
constexpr std::pair<TurnEnd, std::string_view> kTurnEndNames[] = {
    {TurnEnd::kAnswered, "answered"},        {TurnEnd::kBudgetExhausted, "budget_exhausted"},
    {TurnEnd::kCancelled, "cancelled"},      {TurnEnd::kToolRoundsExhausted, "tool_rounds_exhausted"},
    {TurnEnd::kContextFull, "context_full"}, {TurnEnd::kToolCalls, "tool_calls"},
};

std::string format_utc(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::string_view to_string(TurnEnd end) {
  for (auto [e, name] : kTurnEndNames) {
    if (e == end) return name;
  }
  return "answered";
}

std::optional<TurnEnd> parse_turn_end(std::string_view text) {
  for (auto [e, name] : kTurnEndNames) {
    if (name == text) return e;
  }
  return std::nullopt;
}

std::string today_utc() { return format_utc("%Y-%m-%d"); }
std::string now_iso8601_utc() { return format_utc("%Y-%m-%dT%H:%M:%SZ"); }

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
    }
    size_t good = len == 0 ? 0 : 1;
    for (size_t k = 1; k < len && i + k < text.size(); ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) break;
      ++good;
    }
    if (len > 0 && good == len) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += std::max<size_t>(good, 1);
    }
  }
  return out;
}

void sync_headers(SessionState& state, const std::string& today) {
  const SessionSettings& s = state.settings;
  SystemContent system = default_system_content();
  system.reasoning_effort = std::string(to_string(s.effort));
  const auto& old = state.conversation.system;
  system.conversation_start_date =
      old && old->conversation_start_date && !old->conversation_start_date->empty()
          ? *old->conversation_start_date
          : today;
  state.conversation.system = std::move(system);

  if (s.instructions.empty() && s.function_tools.empty()) {
    state.conversation.developer.reset();
  } else {
    DeveloperContent developer;
    // Settings come from the user and the UI as bytes; the prompt must encode.
    if (!s.instructions.empty()) developer.instructions = replace_invalid_utf8(s.instructions);
    if (!s.function_tools.empty()) developer.function_tools = s.function_tools;
    state.conversation.developer = std::move(developer);
  }
}

Conversation prompt_view(const SessionState& state) {
  Conversation view;
  view.system = state.conversation.system;
  view.developer = state.conversation.developer;
  const auto& messages = state.conversation.messages;
  const size_t first = std::min(state.first_message, messages.size());
  view.messages.assign(messages.begin() + static_cast<std::ptrdiff_t>(first), messages.end());
  return view;
}

std::optional<WindowChoice> choose_window(const SessionState& state, uint64_t capacity, uint64_t reply_budget,
                                          const PromptTokenCounter& count_prompt_tokens) {
  // Candidate starts: the current start, then each later turn's question, oldest first. The
  // prompt only shrinks as turns leave, so the first that fits keeps the most history.
  const auto& messages = state.conversation.messages;
  std::vector<size_t> starts = {state.first_message};
  for (size_t m = state.first_message + 1; m < messages.size(); ++m) {
    if (messages[m].role == "user") starts.push_back(m);
  }
  SessionState trial = state;
  for (size_t i = 0; i < starts.size(); ++i) {
    trial.first_message = starts[i];
    const uint64_t tokens = count_prompt_tokens(trial);
    if (tokens + reply_budget <= capacity) {
      WindowChoice choice;
      choice.first_message = starts[i];
      choice.dropped_turns = static_cast<int>(i);
      choice.dropped_messages = static_cast<int>(starts[i] - state.first_message);
      choice.prompt_tokens = tokens;
      return choice;
    }
  }
  return std::nullopt;
}

}  // namespace gptoss::chat
