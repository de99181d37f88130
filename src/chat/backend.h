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
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "chat/sampler.h"
#include "chat/turn_inspection.h"
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
  std::string precision;    // the engine's profile, "exact" or "fast"; empty for a remote model
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

// The background read of a local model's weights after load (cold start).
struct WeightsWarmup {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;  // 0: nothing is read in the background (remote, streaming, or done before)
  bool running = false;
};

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

  // Called on the generating thread after each prefill chunk with the prompt tokens prefilled so
  // far this round (progress for the status bar; tests cancel at a known point with it). A
  // backend that prefills out of sight (a server) never calls it. nullptr removes it.
  using PrefillHook = std::function<void(size_t tokens_done)>;
  virtual void set_prefill_hook(PrefillHook hook) { (void)hook; }

  // What the model did for each token of the last reply (routing and sink shares), or nullptr:
  // no reply yet, or not known here (a remote server). The first call after a reply may take a
  // while (see LocalBackend). Throws gptoss::Error as generate() does.
  virtual std::shared_ptr<const TurnInspection> inspect_last_reply() { return nullptr; }
  // The logit lens of row `row` of inspect_last_reply(): for each layer, its `top` tokens. Empty
  // if it cannot be computed (remote; the cache no longer holds that reply). Throws as above.
  virtual std::vector<LensTop> lens(int row, int top) {
    (void)row, (void)top;
    return {};
  }
  // How often each layer's router picked each expert since the backend was made; empty if not
  // known (remote).
  virtual ExpertUsage expert_usage() const { return {}; }

  // Computes `prompt` (the start of the prompts to come) into the cache without sampling, so
  // that a later generate() whose prompt starts with it computes only the rest. Unlike generate()
  // it keeps all of a cached prefix (it needs no logits), so calling it again costs nothing.
  // Returns the tokens reused and computed and the seconds (prompt_done: all of it is cached).
  // Same thread rules as generate(); `cancel` is checked between prefill chunks. The default does
  // nothing (a server renders its own prompt). Throws as generate().
  virtual GenerateResult prefill_ahead(std::span<const int32_t> prompt, int context_tokens,
                                       const std::atomic<bool>& cancel) {
    (void)prompt, (void)context_tokens, (void)cancel;
    return {};
  }

  // How far the background read of the weights has got. Safe from any thread at any time.
  virtual WeightsWarmup weights_warmup() const { return {}; }

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
