// Which part of the conversation the next prompt shows: the context window (oldest whole turns
// leave first; system, developer and the current question always stay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "chat/chat_session.h"
#include "chat/harmony_render.h"

namespace gptoss::chat {

struct WindowChoice {
  size_t first_message = 0;  // the new SessionState::first_message
  int dropped_turns = 0;     // turns that left the window now
  int dropped_messages = 0;
  uint64_t prompt_tokens = 0;  // the prompt with that window
};

// Counts the tokens of the prompt a state renders to (render_next_prompt(...).size() in
// production; tests may count anything monotonic).
using PromptTokenCounter = std::function<uint64_t(const SessionState&)>;

// The earliest window start, from state.first_message on and only at turn starts (user
// messages; the current question must already be in the conversation), whose prompt
// plus `reply_budget` fits in `capacity` tokens. The last turn (the current question) is never
// dropped. Returns nullopt if even the last turn alone does not fit.
std::optional<WindowChoice> choose_window(const SessionState& state, uint64_t capacity, uint64_t reply_budget,
                                          const PromptTokenCounter& count_prompt_tokens);

// The RenderOptions the chat uses: completion for "assistant"; CoT of completed turns dropped
// (spec section 10) unless keep_reasoning.
RenderOptions chat_render_options(const SessionSettings& settings);

}  // namespace gptoss::chat
