// The OpenAI chat-completions wire format, both ways, with no HTTP in it:
//  - a request body -> the harmony conversation and settings it asks for (the server);
//  - the chat's events -> response JSON and server-sent-event chunks (the server);
// Errors are OpenAI-shaped: {"error": {"message", "type", "param", "code"}} with an HTTP status.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_session.h"
#include "common/error.h"

namespace gptoss::chat {

// An error a client caused (or the server's state), with the status and body OpenAI would send.
struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string code;   // e.g. "model_not_found", "context_length_exceeded"; empty: null
  std::string param;  // the request field at fault; empty: null
  std::string message;
};
nlohmann::json error_body(const ApiError& error);

class ApiException : public gptoss::Error {
 public:
  explicit ApiException(ApiError error) : gptoss::Error(error.message), error_(std::move(error)) {}
  const ApiError& error() const { return error_; }

 private:
  ApiError error_;
};

// The stated limits of one request (README "serve").
struct ApiLimits {
  size_t max_body_bytes = 4u << 20;  // 4 MiB
  size_t max_messages = 1024;
  int max_tokens = 32768;         // max_tokens / max_completion_tokens, and below the context
  int default_max_tokens = 2048;  // when the request gives none (or less if the context is fuller)
  size_t max_stop = 4;
  size_t max_tools = 128;
};

struct CompletionRequest {
  std::string model;   // as sent; empty when absent
  SessionState state;  // settings (effort, instructions, tools, sampling) and the messages
  std::optional<int> max_tokens;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool fresh_sampler = false;  // a seed was given: its draws start over
};

// Parses a chat-completions body. Throws ApiException (400, naming the field) on malformed JSON, a
// wrong type, an unknown role, a value out of range, or a limit exceeded. Fields OpenAI defines
// that change nothing here (n=1, user, metadata, logit_bias, ...) are accepted and ignored.
CompletionRequest parse_completion_request(const std::string& body, const ApiLimits& limits);

struct Usage {
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t cached_tokens = 0;
};

// Turns a turn's events into OpenAI's response: the streamed chunks as they come, and the whole
// message at the end. Text that might begin a stop sequence is held back until it cannot.
class CompletionAssembler {
 public:
  CompletionAssembler(std::string id, std::string model, int64_t created, std::vector<std::string> stop);

  // The chunks (chat.completion.chunk objects) an event produces, possibly none. After a stop
  // sequence was seen, stop_seen() is true and later text is dropped.
  std::vector<nlohmann::json> on_event(const ChatEvent& event);
  bool stop_seen() const { return stop_seen_; }

  // The last chunks: the held-back text, the finish reason, and the usage chunk if asked for.
  std::vector<nlohmann::json> finish_chunks(TurnEnd end, const Usage& usage, bool include_usage);
  // The chat.completion object of a non-streamed reply.
  nlohmann::json response(TurnEnd end, const Usage& usage);

  static std::string finish_reason(TurnEnd end, bool stop_seen);

 private:
  nlohmann::json chunk(nlohmann::json delta, const nlohmann::json& finish_reason = nullptr) const;
  // Appends answer text, returning what can be sent now (not a possible stop prefix).
  std::string take_content(const std::string& text);

  std::string id_, model_;
  int64_t created_;
  std::vector<std::string> stop_;
  bool stop_seen_ = false;
  bool role_sent_ = false;
  std::string content_;    // the answer so far (after stop handling)
  std::string held_;       // answer text not sent yet: it may begin a stop sequence
  std::string reasoning_;  // analysis channel
  nlohmann::json tool_calls_ = nlohmann::json::array();
  std::optional<std::string> channel_;  // of the current message
  bool in_tool_call_ = false;
};

// "functions.get_weather" -> "get_weather"; other recipients unchanged.
std::string function_name(const std::string& recipient);

}  // namespace gptoss::chat
