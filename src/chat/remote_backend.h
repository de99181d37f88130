// An OpenAI-compatible server as a chat Backend (libcurl): vLLM, SGLang, llama-server, ollama, or
// `gpt-oss-chat serve`. The server renders its own prompt, so each round sends the conversation as
// chat-completions messages (streamed), and the answer comes back as harmony tokens again: the
// reasoning ("reasoning_content" or "reasoning", whichever the server sends) as an analysis
// message, the answer as a final one, a function call as a commentary message to functions.NAME
// ending in <|call|>. The chat above cannot tell the two backends apart.
//
//   auto backend = open_remote_backend({.url = "http://gpu-box:8000/v1", .api_key = key}, tokenizer);
//
// Errors are one line: "remote: http://gpu-box:8000/v1: HTTP 401: Incorrect API key provided".
#pragma once

#include <memory>
#include <string>

#include "chat/backend.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::chat {

struct RemoteOptions {
  std::string url;      // the API's base, e.g. "http://host:8000/v1" (".../chat/completions" is added)
  std::string api_key;  // sent as "Authorization: Bearer <key>" when not empty
  std::string model;    // empty: the first model GET /models lists
  long connect_timeout_seconds = 10;
  long idle_timeout_seconds = 300;  // no byte for this long: the request fails
};

class RemoteBackend : public Backend {
 public:
  // Asks the server for its models when options.model is empty. Throws gptoss::Error (one line,
  // naming the URL) if the server cannot be reached, refuses, or lists no model.
  RemoteBackend(RemoteOptions options, std::shared_ptr<const tokenizer::Tokenizer> tokenizer);
  ~RemoteBackend() override;

  const BackendInfo& info() const override { return info_; }
  // Sends request.conversation (request.prompt is not used), streams the reply. Throws
  // gptoss::Error on a network error, a timeout, an HTTP error status (with the server's message),
  // or a stream that ends before the reply does. Cancel closes the stream within a second.
  GenerateResult generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                          const std::atomic<bool>& cancel) override;
  size_t cached_tokens() const override { return cached_tokens_; }

 private:
  RemoteOptions options_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  BackendInfo info_;
  size_t cached_tokens_ = 0;  // the last request's prompt and reply, as the server counted them
};

// The chat-completions request body for one round of `state` (exposed for tests).
std::string remote_request_body(const SessionState& state, const std::string& model, int max_tokens);

}  // namespace gptoss::chat
