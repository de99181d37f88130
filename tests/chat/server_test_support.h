// Shared by the serve/remote tests: the tiny random model written once into a temp dir, token
// scripts, an OpenAiServer on 127.0.0.1 with a scripted LocalBackend, and SSE parsing.
#pragma once

#include <httplib.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>

#include "chat/local_backend.h"
#include "chat/openai_server.h"
#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat::testing {

namespace fs = std::filesystem;
namespace special = tokenizer::special;
using json = nlohmann::json;

// One per test process, written on first use; its folder goes away when the process exits
// (ctest runs every test in its own process, so a leaked folder per process adds up fast).
struct TinyModel {
  gptoss::testing::TempDir dir;
  LocalModel model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;

  TinyModel() {
    engine::TestModelOptions options;
    options.seed = 5;
    engine::write_test_model(dir / "tiny", *engine::find_test_model_preset("tiny"), options);
    model = open_local_model(dir / "tiny", {.threads = 1});
    tokenizer = tokenizer::Tokenizer::load_default();
  }

  static TinyModel& get() {
    static TinyModel m;
    return m;
  }
};

// Token ids of a script: strings are ordinary text, ints are special tokens.
inline std::vector<int32_t> script(std::initializer_list<std::variant<int32_t, std::string>> parts) {
  std::vector<int32_t> ids;
  for (const auto& p : parts) {
    if (std::holds_alternative<int32_t>(p)) {
      ids.push_back(std::get<int32_t>(p));
    } else {
      auto more = TinyModel::get().tokenizer->encode(std::get<std::string>(p));
      ids.insert(ids.end(), more.begin(), more.end());
    }
  }
  return ids;
}

// "<|channel|>analysis<|message|>{reasoning}<|end|><|start|>assistant<|channel|>final<|message|>{answer}<|return|>"
inline std::vector<int32_t> reasoned_answer(const std::string& reasoning, const std::string& answer) {
  return script({special::kChannel, std::string("analysis"), special::kMessage, reasoning, special::kEnd,
                 special::kStart, std::string("assistant"), special::kChannel, std::string("final"),
                 special::kMessage, answer, special::kReturn});
}

inline std::vector<int32_t> tool_call(const std::string& function, const std::string& arguments) {
  return script({special::kChannel, std::string("commentary to=functions." + function + " "),
                 special::kConstrain, std::string("json"), special::kMessage, arguments, special::kCall});
}

// The model's output: scripts played in order (each ends in <|return|> or <|call|>, which ends
// its request), then an endless " a a a ...". Optionally holds every pick until released.
class ScriptedPicks {
 public:
  void push(const std::vector<int32_t>& ids) {
    std::lock_guard lock(mutex_);
    tokens_.insert(tokens_.end(), ids.begin(), ids.end());
  }
  void hold(bool on) {
    {
      std::lock_guard lock(mutex_);
      held_ = on;
    }
    changed_.notify_all();
  }
  size_t picks() const {
    std::lock_guard lock(mutex_);
    return picks_;
  }
  // Waits until a pick waits at the gate: a request is mid-generation.
  void wait_until_held() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_at_gate_; });
  }

  LocalBackend::TokenPicker picker() {
    return [this](std::span<const float>) {
      std::unique_lock lock(mutex_);
      waiting_at_gate_ = held_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !held_; });
      waiting_at_gate_ = false;
      ++picks_;
      int32_t t = filler_;
      if (!tokens_.empty()) {
        t = tokens_.front();
        tokens_.pop_front();
      }
      return t;
    };
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<int32_t> tokens_;
  bool held_ = false;
  bool waiting_at_gate_ = false;
  size_t picks_ = 0;
  const int32_t filler_ = TinyModel::get().tokenizer->encode(" a").at(0);
};

// A LocalBackend that counts the generations running at once.
class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::shared_ptr<LocalBackend> inner) : inner_(std::move(inner)) {}
  const BackendInfo& info() const override { return inner_->info(); }
  GenerateResult generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                          const std::atomic<bool>& cancel) override {
    const int now = ++active_;
    int seen = max_active_.load();
    while (now > seen && !max_active_.compare_exchange_weak(seen, now)) {
    }
    ++calls_;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{active_};
    return inner_->generate(request, callbacks, cancel);
  }
  size_t cached_tokens() const override { return inner_->cached_tokens(); }
  int max_active() const { return max_active_; }
  int calls() const { return calls_; }

 private:
  std::shared_ptr<LocalBackend> inner_;
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
  std::atomic<int> calls_{0};
};

// An OpenAiServer over the tiny model on 127.0.0.1:<free port>, run on its own thread.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = {}) {
    TinyModel& tiny = TinyModel::get();
    backend_ = std::make_shared<LocalBackend>(tiny.model);
    backend_->set_token_picker(picks_.picker());
    counting_ = std::make_shared<CountingBackend>(backend_);
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.context_tokens == 8192) options.context_tokens = 1024;
    server_ = std::make_unique<OpenAiServer>(counting_, tiny.tokenizer, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    picks_.hold(false);
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  ScriptedPicks& picks() { return picks_; }
  OpenAiServer& server() { return *server_; }
  LocalBackend& backend() { return *backend_; }
  CountingBackend& counting() { return *counting_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }

 private:
  ScriptedPicks picks_;
  std::shared_ptr<LocalBackend> backend_;
  std::shared_ptr<CountingBackend> counting_;
  std::unique_ptr<OpenAiServer> server_;
  int port_ = 0;
  std::thread thread_;
};

// The JSON of each "data: ..." event of an SSE body, up to [DONE] (done set if it came).
inline std::vector<json> sse_events(const std::string& body, bool* done = nullptr) {
  std::vector<json> out;
  if (done) *done = false;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data =
        body.substr(pos + 6, end == std::string::npos ? std::string::npos : end - pos - 6);
    pos = end == std::string::npos ? body.size() : end;
    if (data == "[DONE]") {
      if (done) *done = true;
      break;
    }
    out.push_back(json::parse(data));
  }
  return out;
}

}  // namespace gptoss::chat::testing
