// An OpenAI-compatible HTTP server over one Backend (cpp-httplib): POST /v1/chat/completions
// (streamed as server-sent events or not), GET /v1/models, GET /health.
//
//   OpenAiServer server(backend, tokenizer, {.host = "127.0.0.1", .port = 8080});
//   int port = server.bind();   // throws gptoss::Error if the address is taken
//   server.run();               // until stop() (from another thread)
//
// One inference queue: a request runs when the one before it is done, so the cores are never
// shared between two generations, and the backend's KV cache serves the common prefix of
// consecutive requests (a conversation's next turn prefills only what is new). A full queue
// answers 429; a request that waited longer than queue_timeout_seconds answers 503. A client that
// disconnects cancels its generation within a token (streamed) or a second (not streamed).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "chat/backend.h"
#include "chat/openai_api.h"

namespace httplib {
class Server;
}
namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::chat {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;      // 0: any free port (bind() returns it)
  std::string api_key;  // non-empty: every request needs "Authorization: Bearer <api_key>"
  int context_tokens = 8192;
  ApiLimits limits;
  size_t max_waiting = 8;  // requests waiting behind the running one; more get 429
  double queue_timeout_seconds = 600;
};

// One generation at a time; the others wait their turn, bounded.
class InferenceQueue {
 public:
  InferenceQueue(size_t max_waiting, double timeout_seconds)
      : max_waiting_(max_waiting), timeout_seconds_(timeout_seconds) {}

  // Held while a request generates; releases the queue when destroyed.
  class Slot {
   public:
    explicit Slot(InferenceQueue& queue) : queue_(queue) {}
    ~Slot() { queue_.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    InferenceQueue& queue_;
  };

  // Waits for the turn to run. Throws ApiException 429 if max_waiting requests already wait, 503
  // after the timeout.
  std::unique_ptr<Slot> acquire();
  size_t waiting() const;

 private:
  void release();

  const size_t max_waiting_;
  const double timeout_seconds_;
  mutable std::mutex mutex_;
  std::condition_variable turn_;
  bool busy_ = false;
  size_t waiting_ = 0;
};

class OpenAiServer {
 public:
  OpenAiServer(std::shared_ptr<Backend> backend, std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
               ServerOptions options);
  ~OpenAiServer();
  OpenAiServer(const OpenAiServer&) = delete;
  OpenAiServer& operator=(const OpenAiServer&) = delete;

  // Binds host:port; returns the port. Throws gptoss::Error naming the address if it cannot.
  int bind();
  // Serves until stop(); returns false if the server could not listen.
  bool run();
  void stop();

  // Requests generated since the start, and those ended early because their client went away.
  uint64_t completed() const { return completed_.load(); }
  uint64_t cancelled() const { return cancelled_.load(); }
  // Requests waiting behind the running one.
  size_t waiting() const { return queue_.waiting(); }

 private:
  void add_routes();

  std::shared_ptr<Backend> backend_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  ServerOptions options_;
  InferenceQueue queue_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> cancelled_{0};
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace gptoss::chat
