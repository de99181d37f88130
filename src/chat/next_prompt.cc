// The prompt of the next assistant turn, as token ids: what the chat sends to the engine and what
// `render --session` prints.
#include "chat/context_policy.h"
#include "chat/harmony_render.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {

RenderOptions chat_render_options(const SessionSettings& settings) {
  RenderOptions options;
  options.mode = RenderMode::kCompletion;
  options.next_turn_role = "assistant";
  options.auto_drop_analysis = !settings.keep_reasoning;
  options.cot_policy = CotPolicy::kDropCompletedTurns;
  return options;
}

std::vector<int32_t> render_next_prompt(const SessionState& state, const tokenizer::Tokenizer& tokenizer) {
  return render_ids(tokenizer, prompt_view(state), chat_render_options(state.settings));
}

}  // namespace gptoss::chat
