// Renders a conversation as a harmony prompt (spec/harmony.md sections 1-6 and 10).
//
// The renderer produces pieces: a special token, or a piece of text. Only the renderer puts
// special tokens in; every text piece (roles, recipients, channels, system/developer text,
// message content) is encoded as ordinary text, piece by piece, so text a user types is never
// turned into a special token.
//
//   RenderOptions options;                       // completion for "assistant", harmony's CoT rule
//   std::vector<int32_t> ids = render_ids(tokenizer, conversation, options);
//   std::string text = render_text(conversation, options);   // specials as "<|start|>" etc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/conversation.h"
#include "common/error.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::chat {

// A conversation that cannot be rendered (e.g. a tool message without the tool's name).
class RenderError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

enum class RenderMode {
  kCompletion,    // the messages, then "<|start|>{next_turn_role}" (the prompt for sampling)
  kConversation,  // the messages only
  kTraining,      // the messages; a trailing assistant final message ends in <|return|>
};

// Which chain of thought (analysis-channel messages) is left out when auto_drop_analysis is on.
enum class CotPolicy {
  // Harmony v0.0.8 (section 6): if the last assistant message is on the final channel, drop
  // analysis messages that come before the first final-channel message.
  kHarmony,
  // The chat program (section 10): drop the analysis of every completed turn, i.e. each
  // analysis message that a user message or an assistant final answer follows. The analysis of
  // an unfinished turn (an ongoing tool-call exchange) is kept.
  kDropCompletedTurns,
};

struct RenderOptions {
  RenderMode mode = RenderMode::kCompletion;
  std::string next_turn_role = "assistant";  // kCompletion only
  bool auto_drop_analysis = true;            // false: every message is rendered
  CotPolicy cot_policy = CotPolicy::kHarmony;
};

// One piece of a rendering: a special token (special >= 0) or ordinary text.
struct RenderPiece {
  int32_t special = -1;
  std::string text;

  bool is_special() const { return special >= 0; }
};

// The rendering as pieces. Throws RenderError when the conversation cannot be rendered.
std::vector<RenderPiece> render_pieces(const Conversation& conversation, const RenderOptions& options);

// The pieces' token ids: each text piece encoded ordinarily, each special as its id.
std::vector<int32_t> pieces_to_ids(const tokenizer::Tokenizer& tokenizer,
                                   const std::vector<RenderPiece>& pieces);
// The pieces' text with special tokens written as their strings ("<|start|>").
std::string pieces_to_text(const std::vector<RenderPiece>& pieces);

// Shorthands: render_pieces, then ids or text.
std::vector<int32_t> render_ids(const tokenizer::Tokenizer& tokenizer, const Conversation& conversation,
                                const RenderOptions& options);
std::string render_text(const Conversation& conversation, const RenderOptions& options);

// The text of a system message / developer message (sections 2-4). has_function_tools: some
// developer message defines function tools (adds the commentary-channel line).
std::string system_message_text(const SystemContent& system, bool has_function_tools);
std::string developer_message_text(const DeveloperContent& developer);

// The string of one of the harmony special tokens the renderer and parser use
// ("<|start|>"), or an empty view for any other id.
std::string_view harmony_special_string(int32_t id);

}  // namespace gptoss::chat
