// The OpenAI-compatible server: routes, the API key, the inference queue, SSE streaming.
#include "chat/openai_server.h"

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <random>

#include "chat/harmony_render.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A non-streamed reply writes one space this often while it generates: JSON allows leading
// whitespace, and a failed write is how a client that went away is noticed.
constexpr auto kHeartbeat = std::chrono::seconds(1);

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(dump(error_body(e)), "application/json");
}

ApiError not_found(const std::string& what) {
  return ApiError{404, "invalid_request_error", "not_found", "", what};
}

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string out;
  const char* digits = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) out += digits[rd() % 16];
  return out;
}

}  // namespace

std::unique_ptr<InferenceQueue::Slot> InferenceQueue::acquire() {
  std::unique_lock lock(mutex_);
  if (busy_ && waiting_ >= max_waiting_) {
    throw ApiException(ApiError{
        429, "rate_limit_exceeded", "queue_full", "",
        "The server is busy: " + std::to_string(waiting_) + " requests are waiting already. Retry later."});
  }
  ++waiting_;
  const bool ready =
      turn_.wait_for(lock, std::chrono::duration<double>(timeout_seconds_), [&] { return !busy_; });
  --waiting_;
  if (!ready) {
    throw ApiException(ApiError{503, "server_error", "queue_timeout", "",
                                "The server is busy: the request waited " + std::to_string(timeout_seconds_) +
                                    " s for its turn. Retry later."});
  }
  busy_ = true;
  return std::make_unique<Slot>(*this);
}

size_t InferenceQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void InferenceQueue::release() {
  {
    std::lock_guard lock(mutex_);
    busy_ = false;
  }
  turn_.notify_one();
}

OpenAiServer::OpenAiServer(std::shared_ptr<Backend> backend,
                           std::shared_ptr<const tokenizer::Tokenizer> tokenizer, ServerOptions options)
    : backend_(std::move(backend)),
      tokenizer_(std::move(tokenizer)),
      options_(std::move(options)),
      queue_(options_.max_waiting, options_.queue_timeout_seconds),
      http_(std::make_unique<httplib::Server>()) {
  // Waiting requests hold a thread each; a few more answer /health and refuse the rest.
  const size_t threads = options_.max_waiting + 4;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(options_.limits.max_body_bytes);
  add_routes();
}

OpenAiServer::~OpenAiServer() { stop(); }

int OpenAiServer::bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw gptoss::Error("serve: " + options_.host + ":" + std::to_string(options_.port) +
                        ": cannot listen (address in use or not available)");
  }
  return port;
}

bool OpenAiServer::run() { return http_->listen_after_bind(); }

void OpenAiServer::stop() {
  if (http_) http_->stop();
}

void OpenAiServer::add_routes() {
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (options_.api_key.empty() || req.get_header_value("Authorization") == "Bearer " + options_.api_key) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    send_error(res,
               ApiError{401, "invalid_request_error", "invalid_api_key", "",
                        "Incorrect API key provided (expected the header \"Authorization: Bearer <key>\")."});
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own refusals (no route, a body past the limit) come without a body: give them one.
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      send_error(res, ApiError{413, "invalid_request_error", "request_too_large", "",
                               "The request body is too large."});
    } else if (res.status == 404) {
      send_error(res, not_found("Unknown request URL: " + req.method + " " + req.path + "."));
    } else {
      send_error(res, ApiError{res.status, "invalid_request_error", "", "", "The request was refused."});
    }
  });

  http_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  auto model_json = [this] {
    return json{{"id", backend_->info().model_name},
                {"object", "model"},
                {"created", 0},
                {"owned_by", "gpt-oss-chat"}};
  };
  http_->Get("/v1/models", [model_json](const httplib::Request&, httplib::Response& res) {
    res.set_content(dump({{"object", "list"}, {"data", json::array({model_json()})}}), "application/json");
  });
  http_->Get(R"(/v1/models/(.+))", [this, model_json](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != backend_->info().model_name) {
      ApiError e = not_found("The model '" + std::string(req.matches[1]) + "' does not exist.");
      e.code = "model_not_found";
      return send_error(res, e);
    }
    res.set_content(dump(model_json()), "application/json");
  });

  http_->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    try {
      CompletionRequest r = parse_completion_request(req.body, options_.limits);
      const BackendInfo& info = backend_->info();
      if (!r.model.empty() && r.model != info.model_name) {
        throw ApiException(ApiError{
            404, "invalid_request_error", "model_not_found", "model",
            "The model '" + r.model + "' does not exist (this server has '" + info.model_name + "')."});
      }
      const std::string today = today_utc();
      r.state.settings.context_tokens = options_.context_tokens;
      sync_headers(r.state, today);
      const int prompt = static_cast<int>(render_next_prompt(r.state, *tokenizer_).size());
      const int room = options_.context_tokens - prompt - 1;
      if (room < 1 || (r.max_tokens && *r.max_tokens > room)) {
        throw ApiException(ApiError{
            400, "invalid_request_error", "context_length_exceeded", "messages",
            "This server's context is " + std::to_string(options_.context_tokens) +
                " tokens; the messages take " + std::to_string(prompt) + " and the reply needs at least " +
                std::to_string(r.max_tokens.value_or(1)) + ". Shorten the messages or lower max_tokens."});
      }
      r.state.settings.max_new_tokens =
          r.max_tokens.value_or(std::min(options_.limits.default_max_tokens, room));
      auto session = std::make_shared<ChatSession>(backend_, tokenizer_, std::move(r.state), today);
      session->set_tool_calls_end_turn(true);
      if (r.fresh_sampler) session->restart_sampling();

      std::shared_ptr<InferenceQueue::Slot> slot = queue_.acquire();  // 429, 503
      const std::string id = "chatcmpl-" + random_hex(24);
      auto assembler = std::make_shared<CompletionAssembler>(
          id, info.model_name, static_cast<int64_t>(std::time(nullptr)), r.stop);
      const bool stream = r.stream;
      const bool include_usage = r.include_usage;
      auto generate = [this, slot, session, assembler, stream, include_usage, prompt](
                          size_t, httplib::DataSink& sink) {
        std::atomic<bool> cancel{false};
        bool gone = false;
        auto write = [&](const std::string& bytes) {
          if (!gone && !sink.write(bytes.data(), bytes.size())) gone = true;
          if (gone) cancel = true;
        };
        auto last_write = Clock::now();
        auto on_event = [&](const ChatEvent& e) {
          for (const json& chunk : assembler->on_event(e)) {
            if (stream) write("data: " + dump(chunk) + "\n\n");
          }
          if (assembler->stop_seen()) cancel = true;
          if (!stream && Clock::now() - last_write > kHeartbeat) {
            write(" ");
            last_write = Clock::now();
          }
        };
        try {
          const TurnStats stats = session->complete(on_event, cancel);
          const Usage usage{static_cast<uint64_t>(prompt), stats.tokens_generated, stats.tokens_reused};
          if (stream) {
            for (const json& chunk : assembler->finish_chunks(stats.end, usage, include_usage)) {
              write("data: " + dump(chunk) + "\n\n");
            }
            write("data: [DONE]\n\n");
          } else {
            write(dump(assembler->response(stats.end, usage)));
          }
        } catch (const gptoss::Error& e) {
          const ApiError error{500, "server_error", "", "", e.what()};
          write(stream ? "data: " + dump(error_body(error)) + "\n\ndata: [DONE]\n\n"
                       : dump(error_body(error)));
        }
        (gone ? cancelled_ : completed_)++;
        if (!gone) sink.done();
        return !gone;
      };
      res.set_chunked_content_provider(stream ? "text/event-stream" : "application/json", generate);
    } catch (const ApiException& e) {
      send_error(res, e.error());
    } catch (const gptoss::Error& e) {
      send_error(res, ApiError{400, "invalid_request_error", "", "", e.what()});
    }
  });
}

}  // namespace gptoss::chat
