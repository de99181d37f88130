// The remote backend: conversation -> chat-completions request, SSE reply -> harmony tokens.
#include "chat/remote_backend.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chat/chat_session.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace special = tokenizer::special;

constexpr size_t kMaxErrorBody = 64 * 1024;

void ensure_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string one_line(std::string text, size_t max = 300) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

// The message of an error body in any of the dialects: OpenAI {"error": {"message"}}, ollama
// {"error": "..."}, vLLM {"object": "error", "message"}, FastAPI {"detail": ...}; else the text.
std::string server_message(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return one_line(e->get<std::string>());
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        return one_line((*e)["message"].get<std::string>());
      }
    }
    if (j.contains("message") && j["message"].is_string()) return one_line(j["message"].get<std::string>());
    if (j.contains("detail"))
      return one_line(j["detail"].is_string() ? j["detail"].get<std::string>() : j["detail"].dump());
  }
  return body.empty() ? "(no message)" : one_line(body);
}

// One HTTP request; the body goes to on_data unless the status is an error.
class Transfer {
 public:
  Transfer(const RemoteOptions& options, const std::string& path) : url_(options.url) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    base_ = url_;
    url_ += path;
    ensure_curl();
    curl_ = curl_easy_init();
    if (!curl_) throw gptoss::Error("remote: " + base_ + ": cannot start an HTTP request");
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    if (!options.api_key.empty()) {
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + options.api_key).c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
    // No byte for idle_timeout_seconds: the server is gone or stuck.
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, options.idle_timeout_seconds);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Transfer::write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &Transfer::progress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
  }
  ~Transfer() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Runs the request. Returns false if it was cancelled or on_data asked to stop; throws a
  // one-line gptoss::Error on a network error, a timeout, or an HTTP error status.
  bool run(const std::string* body, std::function<bool(std::string_view)> on_data,
           const std::atomic<bool>* cancel) {
    on_data_ = std::move(on_data);
    cancel_ = cancel;
    if (body) curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->c_str());
    const CURLcode rc = curl_easy_perform(curl_);
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_ABORTED_BY_CALLBACK || (rc == CURLE_WRITE_ERROR && stopped_)) return false;
    if (rc != CURLE_OK) {
      const std::string detail = error_[0] ? error_ : curl_easy_strerror(rc);
      std::string what = rc == CURLE_COULDNT_CONNECT        ? "cannot connect"
                         : rc == CURLE_COULDNT_RESOLVE_HOST ? "unknown host"
                         : rc == CURLE_OPERATION_TIMEDOUT   ? "timed out"
                         : rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR
                             ? "the connection broke mid-reply"
                             : "request failed";
      throw gptoss::Error("remote: " + base_ + ": " + what + " (" + one_line(detail) + ")");
    }
    if (status >= 400) {
      throw gptoss::Error("remote: " + base_ + ": HTTP " + std::to_string(status) + ": " +
                          server_message(error_body_));
    }
    return true;
  }

  const std::string& base() const { return base_; }

 private:
  static size_t write(char* data, size_t, size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    long status = 0;
    curl_easy_getinfo(self->curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) {
      if (self->error_body_.size() < kMaxErrorBody) self->error_body_.append(data, n);
      return n;
    }
    if (!self->on_data_(std::string_view(data, n))) {
      self->stopped_ = true;
      return 0;
    }
    return n;
  }
  static int progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Transfer*>(self_ptr);
    return self->cancel_ && self->cancel_->load() ? 1 : 0;
  }

  std::string url_, base_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  std::function<bool(std::string_view)> on_data_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::string error_body_;
  bool stopped_ = false;
};

// Server-sent events: "data: ..." lines, events separated by a blank line.
class SseReader {
 public:
  // Appends bytes; calls on_event(data) for each complete event with data.
  template <typename F>
  bool feed(std::string_view bytes, F&& on_event) {
    for (char c : bytes) {
      if (c != '\r') buffer_ += c;
    }
    size_t end;
    while ((end = buffer_.find("\n\n")) != std::string::npos) {
      std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      std::string data;
      size_t pos = 0;
      while (pos <= block.size()) {
        size_t eol = block.find('\n', pos);
        if (eol == std::string::npos) eol = block.size();
        std::string_view line(block.data() + pos, eol - pos);
        if (line.substr(0, 5) == "data:") {
          line.remove_prefix(5);
          if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
          if (!data.empty()) data += '\n';
          data += line;
        }
        pos = eol + 1;
      }
      if (!data.empty() && !on_event(data)) return false;
    }
    return true;
  }

 private:
  std::string buffer_;
};

// The reply as harmony tokens, as the model would have sampled them after "<|start|>assistant".
class HarmonyTokens {
 public:
  HarmonyTokens(const tokenizer::Tokenizer& tokenizer, std::function<bool(int32_t)> emit)
      : tokenizer_(tokenizer), emit_(std::move(emit)) {}

  // Empty text opens nothing: servers start with {"role": "assistant", "content": ""}.
  bool reasoning(const std::string& text) {
    return text.empty() || (open(kAnalysis, "analysis") && write(text));
  }
  bool content(const std::string& text) { return text.empty() || (open(kFinal, "final") && write(text)); }
  bool call_start(const std::string& name) {
    if (open_ == kCall && !ids({special::kCall})) return false;
    return open(kCall, "commentary to=functions." + name + " ", /*constrain_json=*/true);
  }
  bool call_arguments(const std::string& text) { return open_ == kCall ? write(text) : true; }
  // The end of the reply: <|call|> after a function call, else <|return|>.
  bool finish() {
    if (open_ == kCall) return ids({special::kCall});
    if (open_ == kNone && !open(kFinal, "final")) return false;
    return ids({special::kReturn});
  }

 private:
  enum Open { kNone, kAnalysis, kFinal, kCall };

  bool ids(std::initializer_list<int32_t> list) {
    for (int32_t id : list) {
      if (!emit_(id)) return false;
    }
    return true;
  }
  bool write(const std::string& text) {
    if (text.empty()) return true;
    for (int32_t id : tokenizer_.encode(text)) {
      if (!emit_(id)) return false;
    }
    return true;
  }
  bool open(Open kind, const std::string& header, bool constrain_json = false) {
    if (open_ == kind && kind != kCall) return true;
    if (open_ != kNone && !(ids({special::kEnd, special::kStart}) && write("assistant"))) return false;
    open_ = kind;
    if (!(ids({special::kChannel}) && write(header))) return false;
    if (constrain_json && !(ids({special::kConstrain}) && write("json"))) return false;
    return ids({special::kMessage});
  }

  const tokenizer::Tokenizer& tokenizer_;
  std::function<bool(int32_t)> emit_;
  Open open_ = kNone;
};

}  // namespace

std::string remote_request_body(const SessionState& state, const std::string& model, int max_tokens) {
  const SessionSettings& s = state.settings;
  json messages = json::array();
  if (!s.instructions.empty()) messages.push_back({{"role", "system"}, {"content", s.instructions}});
  std::vector<std::pair<std::string, std::string>> unanswered;  // (recipient, call id)
  int calls = 0;
  const auto& all = state.conversation.messages;
  for (size_t i = std::min(state.first_message, all.size()); i < all.size(); ++i) {
    const Message& m = all[i];
    if (m.role == "user") {
      messages.push_back({{"role", "user"}, {"content", m.content}});
    } else if (m.role == "assistant" && m.recipient) {
      const std::string id = "call_" + std::to_string(calls++);
      unanswered.emplace_back(*m.recipient, id);
      const std::string name =
          m.recipient->rfind("functions.", 0) == 0 ? m.recipient->substr(10) : *m.recipient;
      json call = {
          {"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", m.content}}}};
      if (!messages.empty() && messages.back()["role"] == "assistant" &&
          !messages.back().contains("tool_calls")) {
        messages.back()["tool_calls"] = json::array({call});
      } else if (!messages.empty() && messages.back()["role"] == "assistant") {
        messages.back()["tool_calls"].push_back(call);
      } else {
        messages.push_back(
            {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array({call})}});
      }
    } else if (m.role == "assistant" && m.channel != "analysis") {
      // The reasoning of past turns is not sent: harmony drops it from the prompt (spec section 10).
      messages.push_back({{"role", "assistant"}, {"content", m.content}});
    } else if (m.role == "tool") {
      std::string id = "call_" + std::to_string(calls++);
      for (auto it = unanswered.begin(); it != unanswered.end(); ++it) {
        if (it->first == m.name.value_or("")) {
          id = it->second;
          unanswered.erase(it);
          break;
        }
      }
      messages.push_back({{"role", "tool"}, {"tool_call_id", id}, {"content", m.content}});
    }
  }
  json body = {{"model", model},
               {"messages", std::move(messages)},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}},
               {"max_tokens", max_tokens},
               {"reasoning_effort", std::string(to_string(s.effort))},
               {"temperature", s.sampling.temperature},
               {"top_p", s.sampling.top_p}};
  if (s.sampling.top_k > 0) body["top_k"] = s.sampling.top_k;
  if (s.sampling.seed) body["seed"] = static_cast<int64_t>(*s.sampling.seed & 0x7fffffffffffffffULL);
  if (!s.function_tools.empty()) {
    json tools = json::array();
    for (const ToolDescription& t : s.function_tools) {
      json f = {{"name", t.name}, {"description", t.description}};
      f["parameters"] = t.parameters ? json::parse(t.parameters->dump())
                                     : json{{"type", "object"}, {"properties", json::object()}};
      tools.push_back({{"type", "function"}, {"function", std::move(f)}});
    }
    body["tools"] = std::move(tools);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

RemoteBackend::RemoteBackend(RemoteOptions options, std::shared_ptr<const tokenizer::Tokenizer> tokenizer)
    : options_(std::move(options)), tokenizer_(std::move(tokenizer)) {
  info_.location = options_.url;
  info_.remote = true;
  info_.model_name = options_.model;
  if (info_.model_name.empty()) {
    Transfer t(options_, "/models");
    std::string body;
    t.run(
        nullptr,
        [&](std::string_view bytes) {
          body.append(bytes);
          return body.size() < (1u << 22);
        },
        nullptr);
    const json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
        !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
      throw gptoss::Error("remote: " + t.base() +
                          "/models: lists no model (expected {\"data\": [{\"id\": ...}]}, found " +
                          one_line(body, 120) + "); name one with --remote-model");
    }
    info_.model_name = j["data"][0]["id"].get<std::string>();
  }
}

RemoteBackend::~RemoteBackend() = default;

GenerateResult RemoteBackend::generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                                       const std::atomic<bool>& cancel) {
  if (!request.conversation) throw gptoss::Error("remote: the request carries no conversation");
  GenerateResult result;
  result.prompt_done = true;
  if (request.max_tokens < 1) {  // the reply budget is spent (tool rounds): nothing to ask for
    result.end = GenerateEnd::kBudget;
    return result;
  }
  const std::string body = remote_request_body(*request.conversation, info_.model_name, request.max_tokens);
  const auto start = Clock::now();
  auto first_byte = start;
  bool prefill_reported = false;
  bool sink_stopped = false;
  bool done = false;
  std::string finish_reason;
  json usage;

  // The server holds the reply to max_tokens; the tokens made here (headers included) are not
  // the ones it counted, so they are not held to it again.
  HarmonyTokens tokens(*tokenizer_, [&](int32_t id) {
    ++result.tokens_generated;
    if (callbacks.on_token(id) == TokenAction::kStop) {
      sink_stopped = true;
      return false;
    }
    return true;
  });
  auto report_prefill = [&] {
    if (prefill_reported) return;
    prefill_reported = true;
    first_byte = Clock::now();
    result.prefill_seconds = std::chrono::duration<double>(first_byte - start).count();
    if (callbacks.on_prefilled) callbacks.on_prefilled(0, 0, result.prefill_seconds);
  };
  Transfer transfer(options_, "/chat/completions");
  auto on_event = [&](const std::string& data) {
    if (data == "[DONE]") {
      done = true;
      return true;
    }
    const json e = json::parse(data, nullptr, false);
    if (e.is_discarded() || !e.is_object()) {
      throw gptoss::Error("remote: " + transfer.base() + ": not a JSON event in the stream (" +
                          one_line(data, 80) + ")");
    }
    if (e.contains("error")) throw gptoss::Error("remote: " + transfer.base() + ": " + server_message(data));
    if (e.contains("usage") && e["usage"].is_object()) usage = e["usage"];
    if (!e.contains("choices") || !e["choices"].is_array() || e["choices"].empty()) return true;
    report_prefill();
    const json& choice = e["choices"][0];
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      finish_reason = choice["finish_reason"].get<std::string>();
    }
    if (!choice.contains("delta") || !choice["delta"].is_object()) return true;
    const json& d = choice["delta"];
    for (const char* key : {"reasoning_content", "reasoning"}) {
      if (d.contains(key) && d[key].is_string() && !tokens.reasoning(d[key].get<std::string>())) return false;
    }
    if (d.contains("content") && d["content"].is_string() &&
        !tokens.content(d["content"].get<std::string>())) {
      return false;
    }
    if (d.contains("tool_calls") && d["tool_calls"].is_array()) {
      for (const json& call : d["tool_calls"]) {
        if (!call.contains("function") || !call["function"].is_object()) continue;
        const json& f = call["function"];
        if (f.contains("name") && f["name"].is_string() && !tokens.call_start(f["name"].get<std::string>())) {
          return false;
        }
        if (f.contains("arguments") && f["arguments"].is_string() &&
            !tokens.call_arguments(f["arguments"].get<std::string>())) {
          return false;
        }
      }
    }
    return true;
  };
  SseReader sse;
  std::exception_ptr failure;  // thrown in curl's callback: carried out of the C code, rethrown here
  const bool completed = transfer.run(
      &body,
      [&](std::string_view bytes) {
        try {
          return sse.feed(bytes, on_event);
        } catch (...) {
          failure = std::current_exception();
          return false;
        }
      },
      &cancel);
  if (failure) std::rethrow_exception(failure);

  if (completed && !sink_stopped) {
    if (!done && finish_reason.empty()) {
      throw gptoss::Error("remote: " + transfer.base() + ": the stream ended before the reply did (after " +
                          std::to_string(result.tokens_generated) + " tokens)");
    }
    if (finish_reason != "length") tokens.finish();
  }
  report_prefill();
  result.decode_seconds = std::chrono::duration<double>(Clock::now() - first_byte).count();
  if (cancel.load() && !sink_stopped) {
    result.end = GenerateEnd::kCancelled;
  } else if (sink_stopped) {
    result.end = GenerateEnd::kStopped;
  } else {
    result.end = GenerateEnd::kBudget;  // finish_reason "length"
  }
  if (usage.is_object()) {
    const uint64_t prompt = usage.value("prompt_tokens", 0ull);
    uint64_t cached = 0;
    if (usage.contains("prompt_tokens_details") && usage["prompt_tokens_details"].is_object()) {
      cached = usage["prompt_tokens_details"].value("cached_tokens", 0ull);
    }
    result.tokens_reused = cached;
    result.tokens_prefilled = prompt >= cached ? prompt - cached : 0;
    cached_tokens_ = prompt + usage.value("completion_tokens", 0ull);
    if (usage.contains("completion_tokens")) result.tokens_generated = usage.value("completion_tokens", 0ull);
  }
  return result;
}

}  // namespace gptoss::chat
