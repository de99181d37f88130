// The streaming harmony parser (spec/harmony.md section 8): fed one token id at a time, it
// reports messages as they begin, grow and end. Special-token markup never reaches content.
//
//   HarmonyParser parser(tokenizer, ParserOptions{.role = "assistant"});
//   for (int32_t id : sampled) { if (!parser.push(id, sink)) break; }   // stop on parser.error()
//   parser.finish(sink);                                                 // end of stream
//   for (const Message& m : parser.messages()) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/conversation.h"
#include "common/error.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::chat {

// Malformed model output in strict mode ("unexpected tokens remaining in message header: ...").
class ParseError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

struct ParserOptions {
  // Start inside the header of a message with this role (the prompt ended in
  // "<|start|>assistant"); nullopt: expect <|start|> first.
  std::optional<std::string> role;
  // Strict: a stop token inside an unfinished header is header text (so the header ends up
  // malformed). Non-strict: it closes a malformed message whose header words (after the role)
  // become its content; harmony keeps such a message only if it is the first one, started with
  // the given role.
  bool strict = true;
  // Free-text recovery, for the chat (0, the default, is harmony's behaviour). Output that is not
  // harmony -- a header that grows past this many tokens without <|message|>, or text where a
  // <|start|> belongs between messages -- becomes the content of an assistant message with no
  // channel, so the caller can still show it. Real headers are a handful of tokens; random
  // weights write only such text.
  std::size_t max_header_tokens = 0;
};

// Receives the parser's events in order. Default implementations ignore the event.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // The header is complete: role/name/recipient/channel/content_type are set; content is empty.
  virtual void on_message_begin(const Message& header) { (void)header; }
  // New content text (complete UTF-8; never holds special-token markup).
  virtual void on_content_delta(std::string_view text) { (void)text; }
  // The message is complete. terminator: the stop token that ended it (<|end|>, <|call|>,
  // <|return|>), or nullopt when the stream ended (finish()).
  virtual void on_message_end(const Message& message, std::optional<int32_t> terminator) {
    (void)message;
    (void)terminator;
  }
};

class HarmonyParser {
 public:
  // The tokenizer must outlive the parser.
  explicit HarmonyParser(const tokenizer::Tokenizer& tokenizer, ParserOptions options = {});

  // Feeds one token. Returns false if the output is malformed (a token other than <|start|>
  // between messages, a header that does not parse, ...); error() then says why and every later
  // push/finish is ignored. Never throws. Special tokens other than the stop tokens add nothing
  // to content; an id that is not a token adds U+FFFD.
  bool push(int32_t id, EventSink& sink);
  bool push(int32_t id);  // same, events discarded

  // End of stream: completes a message whose content has started (its held-back bytes are
  // flushed lossily). In strict mode, ending inside a header is an error ("Unexpected EOS while
  // waiting for message header to complete"). Returns false on error. Never throws.
  bool finish(EventSink& sink);
  bool finish();

  // Messages completed so far, in order.
  const std::vector<Message>& messages() const { return messages_; }
  // True while inside a message's content (the header is complete, the terminator not seen).
  bool in_message() const { return state_ == State::kContent; }
  // The message being received (header + content so far), if in_message().
  std::optional<Message> current() const;
  // The first error, if the output was malformed: "token 7 (id 200008): <problem>".
  const std::optional<std::string>& error() const { return error_; }
  // Every token pushed so far.
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  enum class State { kExpectStart, kHeader, kContent };

  bool fail(std::string message);
  std::optional<std::string> header_text();  // the header tokens decoded; nullopt after fail()
  void push_content_bytes(std::string_view bytes, EventSink& sink);
  void end_message(std::optional<int32_t> terminator, EventSink& sink);
  bool close_malformed_header(int32_t terminator, EventSink& sink);
  void begin_free_text(EventSink& sink);
  void push_content_token(int32_t id, EventSink& sink);

  const tokenizer::Tokenizer* tokenizer_;
  ParserOptions options_;
  std::optional<std::string> next_role_;  // the role given for the first message only
  State state_ = State::kExpectStart;
  std::vector<int32_t> header_tokens_;
  Message current_;            // header fields + content decoded so far
  std::string pending_bytes_;  // an incomplete UTF-8 sequence held back
  std::vector<Message> messages_;
  std::vector<int32_t> tokens_;
  std::optional<std::string> error_;
};

// A parsed header (section 8 steps 1-4) from its decoded text (specials as their strings).
// role: the role the parser was started with, if any. Returns the message with empty content;
// throws ParseError when the header is malformed (no role, unknown role, empty channel, words
// left over).
Message parse_header(std::string_view header_text, const std::optional<std::string>& role);

// Parses a whole completion. eos: the stream ended (finish() is called after the last token).
// Returns the completed messages (an unfinished one is left out unless eos); throws ParseError
// naming the token and the problem when the output is malformed.
std::vector<Message> parse_tokens(const tokenizer::Tokenizer& tokenizer, std::span<const int32_t> tokens,
                                  const ParserOptions& options, bool eos);

}  // namespace gptoss::chat
