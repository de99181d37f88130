// The seam between the chat and whatever computes tokens: prompt ids and sampling settings in, a
// stream of tokens and stats out, cancellable.
//
//   std::shared_ptr<Backend> backend = open_local_backend(dir, {.threads = 2});
//   GenerateResult r = backend->generate(request, {.on_prefilled = ..., .on_token = ...}, cancel);
//
// LocalBackend (local_backend.h) runs the engine in this process; RemoteBackend (remote_backend.h)
// talks to an OpenAI-compatible server. ChatSession uses only this interface, the UI only src/chat.
//
// Threads: generate() runs on the one thread that runs the turn; the other members may be called
// when no generate() is running. The callbacks run on the generate() thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "chat/sampler.h"
#include "common/error.h"

namespace gptoss::chat {

// Thrown by Backend::generate when the backend cannot go on at all (a local model file changed
// while in use): the caller saves what it has and ends, instead of offering another turn.
class BackendUnusable : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

struct SessionState;

struct BackendInfo {
  std::string model_name;   // "gpt-oss-20b", "demo", or the remote model's id
  std::string location;     // the weights' folder, or the server's URL
  std::string fingerprint;  // the engine's checkpoint digest; empty for a remote model
  int max_context = 0;      // the most tokens one context may hold; 0: not known (remote)
  int threads = 0;          // compute threads; 0: not computed here
  bool remote = false;
  uint64_t streaming_budget_bytes = 0;  // local and streaming experts under this budget; 0: mapped
  std::string memory;                   // one line on where the weights live, for /stats
};

// One generation round: the prompt, and the conversation it renders (a remote server renders its
// own prompt from the messages, so it reads `conversation` and ignores `prompt`).
struct GenerateRequest {
  std::span<const int32_t> prompt;             // harmony ids ending in "<|start|>assistant"
  const SessionState* conversation = nullptr;  // the same prompt as messages and settings
  SamplerOptions sampling;
  bool fresh_sampler = false;  // restart the random sequence from sampling.seed (a new request)
  int context_tokens = 8192;   // the cache capacity the conversation runs in
  int max_tokens = 1;          // at most this many tokens are sampled
};

// Why generate() returned.
enum class GenerateEnd {
  kStopped,      // on_token asked to stop (the last token is not in the cache)
  kBudget,       // max_tokens sampled
  kContextFull,  // the prompt or the reply reached context_tokens
  kCancelled,    // `cancel` was set
};

struct GenerateResult {
  GenerateEnd end = GenerateEnd::kStopped;
  bool prompt_done = false;       // the whole prompt was taken (else nothing was sampled)
  uint64_t tokens_reused = 0;     // prompt tokens the backend already held
  uint64_t tokens_prefilled = 0;  // prompt tokens computed
  double prefill_seconds = 0;
  uint64_t tokens_generated = 0;
  double decode_seconds = 0;
};

enum class TokenAction { kContinue, kStop };

struct GenerateCallbacks {
  // The prompt is in the cache (or the server answered); sampling starts. Optional.
  std::function<void(uint64_t tokens_reused, uint64_t tokens_prefilled, double seconds)> on_prefilled;
  // Each sampled token, in order.
  std::function<TokenAction(int32_t token)> on_token;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const BackendInfo& info() const = 0;

  // Prefills request.prompt, reusing the longest common prefix of what the backend holds, then
  // samples until on_token says stop, max_tokens, the context is full, or `cancel` (checked
  // between prefill chunks and between tokens). Throws gptoss::Error on a cold failure (bad ids,
  // a refused request, the network); the backend then holds what it held before or less.
  virtual GenerateResult generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                                  const std::atomic<bool>& cancel) = 0;

  // How many tokens the backend's cache holds now (the last prompt and reply, for a server).
  virtual size_t cached_tokens() const = 0;

  // Counters worth showing (/stats), as name/value pairs the chat does not interpret.
  virtual std::vector<std::pair<std::string, std::string>> stats() const { return {}; }

  // --- A saved session's cache (session_cache.h). A backend that keeps no cache of its own (a
  // remote one) exports nothing and imports nothing. ---

  // The KV cache file of the longest common prefix of the cache and `conversation`, or "" when
  // the backend keeps no cache or holds none of it. Throws gptoss::Error if the cache can no
  // longer give that prefix (the sequence went on too far past it).
  virtual std::string export_cache(std::span<const int32_t> conversation) const {
    (void)conversation;
    return {};
  }
  // The most bytes import_cache takes for a cache of context_tokens; 0: no cache is kept.
  virtual uint64_t cache_file_limit(int context_tokens) {
    (void)context_tokens;
    return 0;
  }
  // Makes the cache (of context_tokens) the one in `bytes`, an export_cache file, if the same
  // model made it and its tokens are a prefix of `conversation`; returns the tokens it holds.
  // Throws gptoss::Error "<source>: <field>: <problem>" otherwise, the cache then as it was.
  virtual size_t import_cache(std::span<const uint8_t> bytes, std::span<const int32_t> conversation,
                              int context_tokens, const std::string& source) {
    (void)bytes, (void)conversation, (void)context_tokens, (void)source;
    return 0;
  }
};

}  // namespace gptoss::chat
