// The chat manager: one conversation with a model, turn by turn (spec/harmony.md sections 5-10).
//
//   ChatSession session(backend, tokenizer, state);          // state: settings + history
//   std::atomic<bool> cancel{false};
//   TurnStats stats = session.run_turn("Hello!", [&](const ChatEvent& e) { queue.push(e); }, cancel);
//
// A turn renders the conversation for completion (system = harmony defaults + today's date + the
// chosen effort; developer = instructions + function tools; chain of thought of completed turns
// dropped), reuses the KV cache for the longest common token prefix, prefills the rest, then
// samples until <|return|> (answer done), the reply budget, or cancel. Tool calls (<|call|>) are
// answered (by the ToolHandler, or "not available") and sampling goes on, so a turn ends with an
// answer unless it runs out of budget, tool rounds, context, or is cancelled.
//
// Threads (style.md section 5): run_turn / retry run on ONE worker thread; every event is a plain
// struct handed to the ChatEventSink on that thread, in order. The sink must not call back into the
// session. No other member may be called while a turn runs; cancel is the only thing shared.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat/backend.h"
#include "chat/conversation.h"
#include "chat/sampler.h"
#include "common/error.h"

namespace gptoss::tokenizer {
class Tokenizer;
}  // namespace gptoss::tokenizer

namespace gptoss::chat {

// Errors a caller can show: e.g. a single message too long for the context window.
class ChatError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

enum class ReasoningEffort { kLow, kMedium, kHigh };
std::string_view to_string(ReasoningEffort effort);                  // "low" | "medium" | "high"
std::optional<ReasoningEffort> parse_effort(std::string_view text);  // nullopt if none of those

struct SessionSettings {
  ReasoningEffort effort = ReasoningEffort::kMedium;
  std::string instructions;  // the developer message's "# Instructions"; empty: none
  // Rendered as namespace functions in the developer message; calls go to the ToolHandler.
  std::vector<ToolDescription> function_tools;
  SamplerOptions sampling;
  int context_tokens = 8192;    // KV cache capacity; at most the model's max_context
  int max_new_tokens = 2048;    // reply budget of one turn (all its messages and tool rounds)
  bool keep_reasoning = false;  // keep the analysis of completed turns in later prompts
  int max_tool_rounds = 4;      // tool calls answered per turn before the turn is ended
};

// How a turn ended.
enum class TurnEnd {
  kAnswered,             // <|return|>: the final answer is complete
  kBudgetExhausted,      // max_new_tokens generated without <|return|>
  kCancelled,            // the cancel flag was set; the partial reply is kept
  kToolRoundsExhausted,  // the model kept calling tools past max_tool_rounds
  kContextFull,          // the context window filled up mid-reply
  kToolCalls,            // a tool call ended the turn (set_tool_calls_end_turn): the caller runs it
};
std::string_view to_string(TurnEnd end);  // "answered", "budget_exhausted", "cancelled", ...
std::optional<TurnEnd> parse_turn_end(std::string_view text);

struct TurnStats {
  uint64_t tokens_reused = 0;     // prompt tokens already in the KV cache (common prefix)
  uint64_t tokens_prefilled = 0;  // prompt tokens computed this turn (tool results included)
  uint64_t tokens_generated = 0;  // sampled tokens, stop tokens included
  double prefill_seconds = 0;
  double decode_seconds = 0;
  int tool_calls = 0;
  int dropped_turns = 0;  // oldest turns moved out of the context window before this turn
  TurnEnd end = TurnEnd::kAnswered;
  bool interrupted = false;  // cancelled by the user: the stored reply is partial
  std::string started_at;    // ISO 8601 UTC, e.g. "2026-11-23T09:30:00Z"

  double prefill_tokens_per_second() const {
    return prefill_seconds > 0 ? tokens_prefilled / prefill_seconds : 0;
  }
  double decode_tokens_per_second() const {
    return decode_seconds > 0 ? tokens_generated / decode_seconds : 0;
  }
};

// One user question and everything the assistant and tools said after it.
struct TurnRecord {
  size_t first_message = 0;  // index of the user message in Conversation::messages
  TurnStats stats;
};

// Everything a session file holds besides metadata; ChatSession is built from it and exposes it.
struct SessionState {
  SessionSettings settings;
  Conversation conversation;  // system and developer are derived from settings (sync_headers)
  std::vector<TurnRecord> turns;
  size_t first_message = 0;  // messages before this index left the context window
};

// ---- Events (plain structs; copy them into a queue) ------------------------------------------

struct PrefillFinished {  // the prompt is in the cache; sampling starts
  uint64_t tokens_reused = 0;
  uint64_t tokens_prefilled = 0;
  double seconds = 0;
};
struct MessageStarted {                // the model finished a header
  std::string role;                    // "assistant" (or a tool name in a malformed header)
  std::optional<std::string> channel;  // "analysis" (reasoning), "final" (answer), "commentary"
  std::optional<std::string> recipient;
  std::optional<std::string> content_type;
};
struct TextDelta {  // new complete UTF-8 text of the current message
  std::optional<std::string> channel;
  std::string text;
};
struct MessageFinished {  // the message as stored in the conversation
  Message message;
  bool complete = true;  // false: cut short (cancel, budget, context)
};
struct ToolCall {
  std::string recipient;  // "functions.get_weather", "browser.search", "python"
  std::optional<std::string> channel;
  std::optional<std::string> content_type;
  std::string arguments;  // the message content, usually JSON
};
struct ToolCalled {  // the model called a tool
  ToolCall call;
  bool available = false;  // false: answered with "not available"
};
struct ToolAnswered {  // the tool message appended to the conversation
  Message message;
};
struct ContextTrimmed {  // oldest turns left the context window before this turn
  int dropped_turns = 0;
  int dropped_messages = 0;
  uint64_t prompt_tokens = 0;  // the prompt after trimming
};
struct TurnFinished {
  TurnStats stats;
};

using ChatEvent = std::variant<PrefillFinished, MessageStarted, TextDelta, MessageFinished, ToolCalled,
                               ToolAnswered, ContextTrimmed, TurnFinished>;
using ChatEventSink = std::function<void(const ChatEvent&)>;

// Runs a declared function tool: returns its output, or nullopt if it cannot run (the model is
// then told the tool is not available). Called on the turn's thread. Invalid UTF-8 in the output
// becomes U+FFFD.
using ToolHandler = std::function<std::optional<std::string>(const ToolCall&)>;

// ---- Prompt construction without a model (also used by `render --session`) -------------------

// Fills conversation.system / developer from the settings. The system message keeps an existing
// conversation_start_date (a continued session renders the same prefix); otherwise `today`.
void sync_headers(SessionState& state, const std::string& today);

// The conversation the next prompt shows: system, developer, and the messages from
// first_message on (the context window).
Conversation prompt_view(const SessionState& state);

// The ids of prompt_view rendered for completion (... <|start|>assistant), with the analysis of
// completed turns dropped (spec section 10: all of it, CotPolicy::kDropCompletedTurns) unless
// settings.keep_reasoning; an ongoing tool-call exchange keeps its analysis.
std::vector<int32_t> render_next_prompt(const SessionState& state, const tokenizer::Tokenizer& tokenizer);

// `text` with each invalid UTF-8 sequence replaced by U+FFFD (one per maximal invalid subpart, as
// the Unicode standard recommends), so user text always encodes.
std::string replace_invalid_utf8(std::string_view text);

// Today's date as YYYY-MM-DD (UTC), and the current time as ISO 8601 UTC.
std::string today_utc();
std::string now_iso8601_utc();

// ---- The session -------------------------------------------------------------------------------

class TurnParserSink;  // chat_session.cc: parser callbacks -> ChatEvents

class ChatSession {
 public:
  // Throws ChatError if settings.context_tokens exceeds the backend's max_context or a setting is
  // out of range. `today` (YYYY-MM-DD) defaults to today_utc(); tests pin it. Several sessions
  // may share one backend (one at a time): its cache then serves the common prefix of each.
  ChatSession(std::shared_ptr<Backend> backend, std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
              SessionState state = {}, std::optional<std::string> today = std::nullopt);
  ~ChatSession();
  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // Appends the user's message (invalid UTF-8 replaced by U+FFFD) and generates the reply.
  // Events go to `sink`; the stats are also in turns().back(). Throws ChatError before anything
  // changes if the question cannot fit the context window with the reply budget; the engine's
  // errors (gptoss::Error) pass through with the conversation unchanged.
  TurnStats run_turn(const std::string& user_text, const ChatEventSink& sink,
                     const std::atomic<bool>& cancel);

  // Answers the conversation as it stands: its last message is the user's or a tool's (the
  // server's requests). Throws ChatError if there is no user message, or as run_turn.
  TurnStats complete(const ChatEventSink& sink, const std::atomic<bool>& cancel);

  // Regenerates the last reply (drops what came after the last user message). Throws ChatError if
  // there is no user message.
  TurnStats retry(const ChatEventSink& sink, const std::atomic<bool>& cancel);

  // Removes the last exchange (the last user message and all after it); returns its text, or
  // nullopt if there is none. The KV cache is fixed up lazily by the next turn's prefix match.
  std::optional<std::string> undo();

  // Forgets the messages and turns, keeps the settings; today's date starts the new conversation.
  void new_conversation();

  // Takes effect at the next turn. A new context_tokens makes a new KV cache. Throws ChatError as
  // the constructor does (and then changes nothing).
  void set_settings(const SessionSettings& settings);
  const SessionSettings& settings() const { return state_.settings; }

  void set_tool_handler(ToolHandler handler) { tool_handler_ = std::move(handler); }
  // true: a tool call ends the turn (TurnEnd::kToolCalls) instead of being answered here; the
  // caller appends the tool's message and calls complete().
  void set_tool_calls_end_turn(bool end_turn) { tool_calls_end_turn_ = end_turn; }
  // The next round's random draws start over from settings.sampling.seed (a server request).
  void restart_sampling() { fresh_sampler_ = true; }

  const SessionState& state() const { return state_; }
  const Conversation& conversation() const { return state_.conversation; }
  const std::vector<TurnRecord>& turns() const { return state_.turns; }

  // What the next assistant turn would see (render_next_prompt of the state).
  std::vector<int32_t> next_prompt() const;
  // The prompt of a next turn whose user message is empty: every next question's prompt shares
  // it up to that message's text, so it is what a saved cache is matched against.
  std::vector<int32_t> resume_prompt() const;

  // The tokens the next turn's prompt starts with whatever the user types: the system and
  // developer messages and the conversation so far, up to the user's text ("<|start|>user<|message|>").
  std::vector<int32_t> next_prompt_prefix() const;
  // Computes next_prompt_prefix() into the backend's cache while the user types (Backend::
  // prefill_ahead), so that the next run_turn computes only the user's own tokens. Changes no
  // logit. Thread rules as run_turn; `cancel` is checked between prefill chunks. Throws as run_turn.
  void prefill_next_prompt_prefix(const std::atomic<bool>& cancel);

  Backend& backend() const { return *backend_; }

 private:
  // Moves the context window so the prompt for the last user message fits with the reply budget;
  // throws ChatError (state unchanged) if it cannot. Returns how many turns left the window.
  int fit_window(SessionState& state) const;
  // The shared tail of run_turn and retry: `next` ends with the question to answer. Fits the
  // window, installs `next`, generates the reply; on an engine error the previous state returns.
  // `typed_prefix`: see generate_round.
  TurnStats answer_last_question(SessionState next, const ChatEventSink& sink,
                                 const std::atomic<bool>& cancel, std::span<const int32_t> typed_prefix = {});
  TurnStats generate_reply(TurnRecord record, const ChatEventSink& sink, const std::atomic<bool>& cancel,
                           std::span<const int32_t> typed_prefix);
  // One backend round: renders the next prompt, generates into `parser` until <|return|>, a tool
  // call (returned), the budget, the context, or cancel (stats.end set, nullopt returned). The
  // part of `typed_prefix` (next_prompt_prefix before the question) that starts the prompt is
  // computed first as a batch of its own, as prefill_next_prompt_prefix computes it while the user
  // types: a batched prefill sums in an order that depends on the batch's bounds, and this way the
  // logits are the same bits whether the pre-fill ran, ran in part, or not at all.
  std::optional<Message> generate_round(TurnStats& stats, std::span<const int32_t> typed_prefix,
                                        bool first_round, TurnParserSink& parser_sink,
                                        const ChatEventSink& sink, const std::atomic<bool>& cancel,
                                        bool& ended);
  // Answers a tool call (handler, "not available", or "too many calls") with a tool message.
  void append_tool_result(const Message& call, TurnStats& stats, const ChatEventSink& sink);
  std::string answer_tool_call(const ToolCall& call, bool& available) const;

  std::shared_ptr<Backend> backend_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  SessionState state_;
  std::string today_;
  ToolHandler tool_handler_;
  bool tool_calls_end_turn_ = false;
  bool fresh_sampler_ = false;
};

}  // namespace gptoss::chat
