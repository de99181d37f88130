// The turn loop: render, reuse the KV cache prefix, prefill the rest, sample, parse, answer tool
// calls, store. Spec sections 5-10 of spec/harmony.md.
#include "chat/chat_session.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "chat/context_policy.h"
#include "chat/harmony_parser.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

// A real harmony header is a handful of tokens ("<|channel|>analysis", a recipient, a
// constraint); a longer one is free text and is shown as such.
constexpr std::size_t kMaxHeaderTokens = 32;

namespace special = tokenizer::special;
int last_user_message(const Conversation& c) {
  for (size_t i = c.messages.size(); i-- > 0;) {
    if (c.messages[i].role == "user") return static_cast<int>(i);
  }
  return -1;
}

void check_settings(const SessionSettings& s, const Backend& backend) {
  const int max_context = backend.info().max_context;
  if (s.context_tokens < 1 || (max_context > 0 && s.context_tokens > max_context)) {
    throw ChatError("settings: context_tokens: out of range (expected 1.." + std::to_string(max_context) +
                    ", found " + std::to_string(s.context_tokens) + ")");
  }
  if (s.max_new_tokens < 1 || s.max_new_tokens >= s.context_tokens) {
    throw ChatError("settings: max_new_tokens: out of range (expected 1.." +
                    std::to_string(s.context_tokens - 1) + ", found " + std::to_string(s.max_new_tokens) +
                    ")");
  }
  if (s.max_tool_rounds < 0) throw ChatError("settings: max_tool_rounds: must not be negative");
  try {
    Sampler check(s.sampling);
  } catch (const gptoss::Error& e) {
    throw ChatError(std::string("settings: ") + e.what());
  }
}

}  // namespace

// Turns the parser's callbacks into ChatEvents and stores each finished message.
class TurnParserSink : public EventSink {
 public:
  TurnParserSink(Conversation& conversation, const ChatEventSink& sink)
      : conversation_(conversation), sink_(sink) {}

  void on_message_begin(const Message& header) override {
    channel_ = header.channel;
    sink_(MessageStarted{header.role, header.channel, header.recipient, header.content_type});
  }
  void on_content_delta(std::string_view text) override {
    if (!text.empty()) sink_(TextDelta{channel_, std::string(text)});
  }
  void on_message_end(const Message& message, std::optional<int32_t> terminator) override {
    // A malformed header closed with nothing in it carries no information: not stored.
    if (message.content.empty() && !message.recipient && !message.channel) return;
    conversation_.messages.push_back(
        message);  // stored without its terminator: <|return|> renders as <|end|>
    sink_(MessageFinished{message, terminator.has_value()});
    if (terminator == special::kCall) last_call_ = message;
  }

  // The tool call that ended the message just finished, if any (taken once).
  std::optional<Message> take_call() { return std::exchange(last_call_, std::nullopt); }

 private:
  Conversation& conversation_;
  const ChatEventSink& sink_;
  std::optional<std::string> channel_;
  std::optional<Message> last_call_;
};

ChatSession::ChatSession(std::shared_ptr<Backend> backend,
                         std::shared_ptr<const tokenizer::Tokenizer> tokenizer, SessionState state,
                         std::optional<std::string> today)
    : backend_(std::move(backend)),
      tokenizer_(std::move(tokenizer)),
      state_(std::move(state)),
      today_(today ? *today : today_utc()) {
  check_settings(state_.settings, *backend_);
  sync_headers(state_, today_);
}

ChatSession::~ChatSession() = default;

std::vector<int32_t> ChatSession::next_prompt() const { return render_next_prompt(state_, *tokenizer_); }

std::vector<int32_t> ChatSession::next_prompt_prefix() const {
  // Two questions that differ in their first token: the prompts agree up to the question's text.
  auto prompt_asking = [&](const char* text) {
    SessionState next = state_;
    next.conversation.messages.push_back(Message{.role = "user", .content = text});
    return render_next_prompt(next, *tokenizer_);
  };
  const std::vector<int32_t> a = prompt_asking("a"), b = prompt_asking("b");
  const auto differ = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return {a.begin(), differ.first};
}

void ChatSession::prefill_next_prompt_prefix(const std::atomic<bool>& cancel) {
  // Not counted here: the turn's stats count what it reuses of it.
  backend_->prefill_ahead(next_prompt_prefix(), state_.settings.context_tokens, cancel);
}

std::vector<int32_t> ChatSession::resume_prompt() const {
  SessionState next = state_;
  Message question;
  question.role = "user";
  next.conversation.messages.push_back(std::move(question));
  return render_next_prompt(next, *tokenizer_);
}

void ChatSession::set_settings(const SessionSettings& settings) {
  check_settings(settings, *backend_);
  state_.settings = settings;
  sync_headers(state_, today_);
}

int ChatSession::fit_window(SessionState& state) const {
  const auto capacity = static_cast<uint64_t>(state.settings.context_tokens);
  const auto budget = static_cast<uint64_t>(state.settings.max_new_tokens);
  auto count = [&](const SessionState& s) {
    return static_cast<uint64_t>(render_next_prompt(s, *tokenizer_).size());
  };
  std::optional<WindowChoice> choice = choose_window(state, capacity, budget, count);
  if (!choice) {
    SessionState alone = state;
    alone.first_message = static_cast<size_t>(std::max(last_user_message(state.conversation), 0));
    throw ChatError("message too long for the context window: the prompt needs " +
                    std::to_string(count(alone)) + " tokens plus " + std::to_string(budget) +
                    " for the reply (expected at most " + std::to_string(capacity) +
                    " in all; shorten the message, lower the reply budget, or raise the "
                    "context size)");
  }
  state.first_message = choice->first_message;
  return choice->dropped_turns;
}

TurnStats ChatSession::run_turn(const std::string& user_text, const ChatEventSink& sink,
                                const std::atomic<bool>& cancel) {
  SessionState next = state_;
  Message question;
  question.role = "user";
  question.content = replace_invalid_utf8(user_text);
  next.conversation.messages.push_back(std::move(question));
  return answer_last_question(std::move(next), sink, cancel, next_prompt_prefix());
}

TurnStats ChatSession::complete(const ChatEventSink& sink, const std::atomic<bool>& cancel) {
  if (last_user_message(state_.conversation) < 0) throw ChatError("complete: there is no user message");
  return answer_last_question(state_, sink, cancel);
}

TurnStats ChatSession::retry(const ChatEventSink& sink, const std::atomic<bool>& cancel) {
  const int u = last_user_message(state_.conversation);
  if (u < 0) throw ChatError("retry: there is no question to answer again");
  SessionState next = state_;
  next.conversation.messages.resize(static_cast<size_t>(u) + 1);
  while (!next.turns.empty() && next.turns.back().first_message >= static_cast<size_t>(u))
    next.turns.pop_back();
  next.first_message = std::min(next.first_message, static_cast<size_t>(u));
  return answer_last_question(std::move(next), sink, cancel);
}

TurnStats ChatSession::answer_last_question(SessionState next, const ChatEventSink& sink,
                                            const std::atomic<bool>& cancel,
                                            std::span<const int32_t> typed_prefix) {
  const size_t question_index = next.conversation.messages.size() - 1;
  const size_t old_first = next.first_message;
  const int dropped = fit_window(next);  // throws before anything changes
  const SessionState before = std::exchange(state_, std::move(next));

  TurnRecord record;
  record.first_message = question_index;
  record.stats.started_at = now_iso8601_utc();
  record.stats.dropped_turns = dropped;
  if (dropped > 0) {
    sink(ContextTrimmed{dropped, static_cast<int>(state_.first_message - old_first),
                        static_cast<uint64_t>(next_prompt().size())});
  }
  try {
    return generate_reply(std::move(record), sink, cancel, typed_prefix);
  } catch (const gptoss::Error&) {
    state_ = before;  // the engine refused (the cache is unchanged): so is the conversation
    throw;
  }
}

std::optional<std::string> ChatSession::undo() {
  const int u = last_user_message(state_.conversation);
  if (u < 0) return std::nullopt;
  std::string text = state_.conversation.messages[static_cast<size_t>(u)].content;
  state_.conversation.messages.resize(static_cast<size_t>(u));
  while (!state_.turns.empty() && state_.turns.back().first_message >= static_cast<size_t>(u))
    state_.turns.pop_back();
  state_.first_message = std::min(state_.first_message, state_.conversation.messages.size());
  return text;
}

void ChatSession::new_conversation() {
  today_ = today_utc();
  state_.conversation.messages.clear();
  state_.conversation.system.reset();  // the new conversation starts today
  state_.turns.clear();
  state_.first_message = 0;
  sync_headers(state_, today_);
}

std::string ChatSession::answer_tool_call(const ToolCall& call, bool& available) const {
  available = false;
  const std::string prefix = "functions.";
  if (tool_handler_ && call.recipient.rfind(prefix, 0) == 0) {
    const std::string name = call.recipient.substr(prefix.size());
    const auto& tools = state_.settings.function_tools;
    const bool declared =
        std::any_of(tools.begin(), tools.end(), [&](const ToolDescription& t) { return t.name == name; });
    if (declared) {
      if (std::optional<std::string> result = tool_handler_(call)) {
        available = true;
        return replace_invalid_utf8(*result);  // a tool's output is bytes; the prompt must encode
      }
    }
  }
  return "Error: the tool '" + call.recipient + "' is not available. Answer without it.";
}

void ChatSession::append_tool_result(const Message& call_message, TurnStats& stats,
                                     const ChatEventSink& sink) {
  const ToolCall call{call_message.recipient.value_or(""), call_message.channel, call_message.content_type,
                      call_message.content};
  bool available = false;
  std::string output;
  if (stats.tool_calls >= state_.settings.max_tool_rounds) {
    output = "Error: too many tool calls in one turn. Answer with what you have.";
  } else {
    output = answer_tool_call(call, available);
  }
  ++stats.tool_calls;
  sink(ToolCalled{call, available});
  // Spec section 5: "<|start|>{tool} to=assistant<|channel|>{channel}<|message|>{output}<|end|>",
  // on the call's channel (commentary for functions, analysis for built-in tools).
  Message result;
  result.role = "tool";
  result.name = call.recipient;
  result.recipient = "assistant";
  result.channel = call.channel.value_or("commentary");
  result.content = std::move(output);
  state_.conversation.messages.push_back(result);
  sink(ToolAnswered{result});
}

std::optional<Message> ChatSession::generate_round(TurnStats& stats, std::span<const int32_t> typed_prefix,
                                                   bool first_round, TurnParserSink& parser_sink,
                                                   const ChatEventSink& sink, const std::atomic<bool>& cancel,
                                                   bool& ended) {
  const SessionSettings& s = state_.settings;
  const std::vector<int32_t> prompt = next_prompt();
  GenerateResult ahead;  // the typed prefix's batch
  if (first_round && !typed_prefix.empty()) {
    const auto starts = std::mismatch(typed_prefix.begin(), typed_prefix.end(), prompt.begin(), prompt.end());
    const size_t n = static_cast<size_t>(starts.first - typed_prefix.begin());
    if (n > 0 && n < prompt.size())
      ahead = backend_->prefill_ahead(typed_prefix.first(n), s.context_tokens, cancel);
  }
  GenerateRequest request;
  request.prompt = prompt;
  request.conversation = &state_;
  request.sampling = s.sampling;
  request.fresh_sampler = std::exchange(fresh_sampler_, false);
  request.context_tokens = s.context_tokens;
  request.max_tokens = static_cast<int>(static_cast<uint64_t>(s.max_new_tokens) - stats.tokens_generated);

  // The prompt ends in "<|start|>assistant": the parser starts inside that header. Non-strict: a
  // stop token in an unfinished header closes a malformed message instead of failing; on anything
  // the parser rejects it restarts, waiting for the next <|start|>. Free-text recovery: output
  // that is not harmony (random weights) is still shown.
  ParserOptions lenient;
  lenient.strict = false;
  lenient.max_header_tokens = kMaxHeaderTokens;
  ParserOptions first = lenient;
  first.role = "assistant";
  HarmonyParser parser(*tokenizer_, first);
  std::optional<Message> call;
  bool answered = false;

  GenerateCallbacks callbacks;
  callbacks.on_prefilled = [&](uint64_t reused, uint64_t prefilled, double seconds) {
    if (ahead.tokens_reused + ahead.tokens_prefilled > 0) reused = ahead.tokens_reused;  // the prompt's start
    sink(PrefillFinished{reused, ahead.tokens_prefilled + prefilled, ahead.prefill_seconds + seconds});
  };
  callbacks.on_token = [&](int32_t token) {
    if (!parser.push(token, parser_sink)) parser = HarmonyParser(*tokenizer_, lenient);
    if (token == special::kReturn) {
      answered = true;
      return TokenAction::kStop;
    }
    if (token == special::kCall && (call = parser_sink.take_call())) return TokenAction::kStop;
    return TokenAction::kContinue;
  };
  const GenerateResult r = backend_->generate(request, callbacks, cancel);
  if (first_round)  // a server reports it only at the end
    stats.tokens_reused =
        ahead.tokens_reused + ahead.tokens_prefilled > 0 ? ahead.tokens_reused : r.tokens_reused;
  stats.tokens_prefilled += ahead.tokens_prefilled + r.tokens_prefilled;
  stats.prefill_seconds += ahead.prefill_seconds + r.prefill_seconds;
  stats.tokens_generated += r.tokens_generated;
  stats.decode_seconds += r.decode_seconds;

  if (r.end == GenerateEnd::kStopped && call && !answered) return call;
  ended = true;
  switch (r.end) {
    case GenerateEnd::kStopped:
      stats.end = TurnEnd::kAnswered;
      break;
    case GenerateEnd::kBudget:
      stats.end = TurnEnd::kBudgetExhausted;
      break;
    case GenerateEnd::kContextFull:
      stats.end = TurnEnd::kContextFull;
      break;
    case GenerateEnd::kCancelled:
      stats.end = TurnEnd::kCancelled;
      break;
  }
  if (!r.prompt_done) return std::nullopt;
  // Keep what was said so far: a message cut short in its content, or an unfinished header
  // closed as harmony closes a malformed one (section 8 step 5).
  if (parser.in_message()) {
    Message partial = *parser.current();
    state_.conversation.messages.push_back(partial);
    sink(MessageFinished{partial, false});
  } else {
    parser.push(special::kEnd, parser_sink);
  }
  return std::nullopt;
}

TurnStats ChatSession::generate_reply(TurnRecord record, const ChatEventSink& sink,
                                      const std::atomic<bool>& cancel,
                                      std::span<const int32_t> typed_prefix) {
  TurnStats& stats = record.stats;
  TurnParserSink parser_sink(state_.conversation, sink);
  bool ended = false;
  bool first_round = true;
  while (!ended) {
    if (cancel.load()) {
      stats.end = TurnEnd::kCancelled;
      break;
    }
    std::optional<Message> call =
        generate_round(stats, typed_prefix, first_round, parser_sink, sink, cancel, ended);
    first_round = false;
    if (ended) break;
    if (tool_calls_end_turn_) {
      ++stats.tool_calls;
      stats.end = TurnEnd::kToolCalls;
      break;
    }
    // A tool call: report it, answer it, sample again.
    append_tool_result(*call, stats, sink);
    if (stats.tool_calls > state_.settings.max_tool_rounds) {
      stats.end = TurnEnd::kToolRoundsExhausted;
      break;
    }
  }
  stats.interrupted = stats.end == TurnEnd::kCancelled;
  state_.turns.push_back(record);
  sink(TurnFinished{stats});
  return stats;
}

}  // namespace gptoss::chat
