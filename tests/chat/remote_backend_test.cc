// The remote backend: ChatSession over RemoteBackend against this project's own server (round
// trip, tool calls) and against a fake server speaking other servers' dialects ("reasoning" for
// "reasoning_content", error bodies of several shapes, a stream cut mid-answer, a slow stream
// cancelled, nothing listening).
#include "chat/remote_backend.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "server_test_support.h"

namespace gptoss::chat {
namespace {

using namespace gptoss::chat::testing;

SessionState remote_state() {
  SessionState state;
  state.settings.context_tokens = 1024;
  state.settings.max_new_tokens = 100;
  state.settings.sampling.seed = 1;
  return state;
}

std::shared_ptr<RemoteBackend> connect(const std::string& url, std::string model = "") {
  RemoteOptions options;
  options.url = url;
  options.model = std::move(model);
  options.connect_timeout_seconds = 5;
  return std::make_shared<RemoteBackend>(options, TinyModel::get().tokenizer);
}

std::string channel_text(const Conversation& c, const std::string& channel, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < c.messages.size(); ++i) {
    if (c.messages[i].role == "assistant" && c.messages[i].channel == channel && !c.messages[i].recipient)
      out += c.messages[i].content;
  }
  return out;
}

TEST(RemoteBackend, RoundTripThroughOurOwnServerKeepsReasoningAndAnswer) {
  TestServer server;
  server.picks().push(reasoned_answer("Thinking it over.", "Hello from the server."));
  server.picks().push(reasoned_answer("Again.", "Second answer."));
  auto backend = connect(server.url() + "/v1");
  EXPECT_EQ(backend->info().model_name, "tiny");  // the first (only) model listed
  EXPECT_TRUE(backend->info().remote);
  ChatSession session(backend, TinyModel::get().tokenizer, remote_state());
  std::atomic<bool> cancel{false};
  std::string streamed;
  const TurnStats first = session.run_turn(
      "Hi",
      [&](const ChatEvent& e) {
        if (auto* d = std::get_if<TextDelta>(&e); d && d->channel == "final") streamed += d->text;
      },
      cancel);
  EXPECT_EQ(first.end, TurnEnd::kAnswered);
  EXPECT_EQ(streamed, "Hello from the server.");
  EXPECT_EQ(channel_text(session.conversation(), "analysis"), "Thinking it over.");
  EXPECT_EQ(channel_text(session.conversation(), "final"), "Hello from the server.");

  const size_t before = session.conversation().messages.size();
  const TurnStats second = session.run_turn(
      "And?", [](const ChatEvent&) {}, cancel);
  EXPECT_EQ(second.end, TurnEnd::kAnswered);
  EXPECT_EQ(channel_text(session.conversation(), "final", before), "Second answer.");
  // The server saw the whole conversation, and served its first turn from the cache.
  const std::string prompt = TinyModel::get().tokenizer->decode(server.backend().context()->tokens());
  EXPECT_NE(
      prompt.find("<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello from "
                  "the server.<|end|><|start|>user<|message|>And?<|end|>"),
      std::string::npos)
      << prompt;
  EXPECT_GT(second.tokens_reused, 10u);
}

TEST(RemoteBackend, ToolCallsGoToTheHandlerAndTheResultBackToTheServer) {
  TestServer server;
  server.picks().push(tool_call("get_weather", R"({"city":"Oslo"})"));
  server.picks().push(reasoned_answer("Got it.", "Oslo is cold."));
  SessionState state = remote_state();
  state.settings.function_tools.push_back(ToolDescription{"get_weather", "Weather of a city", std::nullopt});
  ChatSession session(connect(server.url() + "/v1"), TinyModel::get().tokenizer, state);
  std::vector<ToolCall> calls;
  session.set_tool_handler([&](const ToolCall& call) -> std::optional<std::string> {
    calls.push_back(call);
    return "cold, -5 C";
  });
  std::atomic<bool> cancel{false};
  const TurnStats stats = session.run_turn(
      "Weather in Oslo?", [](const ChatEvent&) {}, cancel);
  EXPECT_EQ(stats.end, TurnEnd::kAnswered);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].recipient, "functions.get_weather");
  EXPECT_EQ(calls[0].arguments, R"({"city":"Oslo"})");
  EXPECT_EQ(channel_text(session.conversation(), "final"), "Oslo is cold.");
  const std::string prompt = TinyModel::get().tokenizer->decode(server.backend().context()->tokens());
  EXPECT_NE(prompt.find("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>cold, -5 "
                        "C<|end|>"),
            std::string::npos)
      << prompt;
}

// A fake server: /v1/models and a /v1/chat/completions that plays `events` (SSE data lines), then
// either ends the stream properly or cuts it.
class FakeServer {
 public:
  FakeServer() {
    http_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object":"list","data":[{"id":"first-model"},{"id":"second-model"}]})",
                      "application/json");
    });
    http_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      last_body_ = req.body;
      if (status_ != 200) {
        res.status = status_;
        res.set_content(error_body_, "application/json");
        return;
      }
      res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
        for (const std::string& e : events_) {
          const std::string line = "data: " + e + "\n\n";
          if (!sink.write(line.data(), line.size())) return false;
          if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
        }
        if (cut_) return false;  // the connection closes mid-answer
        if (send_done_) sink.write("data: [DONE]\n\n", 14);
        sink.done();
        return true;
      });
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~FakeServer() {
    http_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  void play(std::vector<std::string> events, bool cut = false, int delay_ms = 0, bool send_done = true) {
    events_ = std::move(events);
    cut_ = cut;
    delay_ms_ = delay_ms;
    send_done_ = send_done;
  }
  void fail(int status, std::string body) {
    status_ = status;
    error_body_ = std::move(body);
  }
  json last_request() const { return json::parse(last_body_); }

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::vector<std::string> events_;
  bool cut_ = false;
  bool send_done_ = true;
  int delay_ms_ = 0;
  int status_ = 200;
  std::string error_body_;
  std::string last_body_;
};

std::string delta(const json& d, const json& finish = nullptr) {
  return json{{"choices", json::array({{{"index", 0}, {"delta", d}, {"finish_reason", finish}}})}}.dump();
}

TEST(RemoteBackend, TheOtherDialectReasoningIsShownAsReasoningAndTheFirstModelIsChosen) {
  FakeServer fake;
  fake.play({delta({{"role", "assistant"}}), delta({{"reasoning", "vLLM calls it "}}),
             delta({{"reasoning", "reasoning."}}), delta({{"content", "The answer."}}),
             delta(json::object(), "stop"),
             json{{"choices", json::array()}, {"usage", {{"prompt_tokens", 30}, {"completion_tokens", 9}}}}
                 .dump()});
  auto backend = connect(fake.url());
  EXPECT_EQ(backend->info().model_name, "first-model");
  SessionState state = remote_state();
  state.settings.effort = ReasoningEffort::kHigh;
  state.settings.instructions = "Be terse.";
  ChatSession session(backend, TinyModel::get().tokenizer, state);
  std::atomic<bool> cancel{false};
  const TurnStats stats = session.run_turn(
      "Q?", [](const ChatEvent&) {}, cancel);
  EXPECT_EQ(stats.end, TurnEnd::kAnswered);
  EXPECT_EQ(stats.tokens_generated, 9u);  // as the server counted
  EXPECT_EQ(channel_text(session.conversation(), "analysis"), "vLLM calls it reasoning.");
  EXPECT_EQ(channel_text(session.conversation(), "final"), "The answer.");
  const json sent = fake.last_request();
  EXPECT_EQ(sent["model"], "first-model");
  EXPECT_EQ(sent["reasoning_effort"], "high");
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["messages"][0], (json{{"role", "system"}, {"content", "Be terse."}}));
  EXPECT_EQ(sent["messages"][1], (json{{"role", "user"}, {"content", "Q?"}}));
  EXPECT_EQ(backend->cached_tokens(), 39u);
}

TEST(RemoteBackend, ErrorBodiesOfEachDialectBecomeOneLineAndTheConversationIsKept) {
  FakeServer fake;
  auto backend = connect(fake.url(), "m");
  ChatSession session(backend, TinyModel::get().tokenizer, remote_state());
  std::atomic<bool> cancel{false};
  const std::vector<std::pair<int, std::string>> cases = {
      {401, R"({"error":{"message":"Invalid API key","type":"invalid_request_error"}})"},
      {400, R"({"object":"error","message":"max_tokens is too large","code":400})"},
      {500, R"({"error":"model runner crashed"})"},
      {422, R"({"detail":"field required"})"},
      {502, "<html>Bad Gateway\n</html>"},
  };
  const std::vector<std::string> expected = {"HTTP 401: Invalid API key", "HTTP 400: max_tokens is too large",
                                             "HTTP 500: model runner crashed", "HTTP 422: field required",
                                             "HTTP 502: <html>Bad Gateway </html>"};
  for (size_t i = 0; i < cases.size(); ++i) {
    fake.fail(cases[i].first, cases[i].second);
    try {
      session.run_turn(
          "hello", [](const ChatEvent&) {}, cancel);
      ADD_FAILURE() << "no error for " << cases[i].second;
    } catch (const gptoss::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what, "remote: " + fake.url() + ": " + expected[i]);
      EXPECT_EQ(what.find('\n'), std::string::npos);
    }
    EXPECT_TRUE(session.conversation().messages.empty());  // the failed turn left nothing behind
  }
}

TEST(RemoteBackend, AStreamCutMidAnswerIsAnErrorAndTheConversationIsKept) {
  FakeServer fake;
  fake.play({delta({{"role", "assistant"}, {"content", "The first"}})});
  ChatSession session(connect(fake.url(), "m"), TinyModel::get().tokenizer, remote_state());
  std::atomic<bool> cancel{false};
  session.run_turn(
      "one", [](const ChatEvent&) {}, cancel);  // answered (a proper stream first)
  fake.play({delta({{"content", "The first"}}), delta({{"content", " half"}})}, /*cut=*/true);
  const auto before = session.conversation().messages.size();
  try {
    session.run_turn(
        "two", [](const ChatEvent&) {}, cancel);
    ADD_FAILURE() << "a cut stream was accepted";
  } catch (const gptoss::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("remote: " + fake.url() + ": the connection broke mid-reply (", 0),
              0u)
        << e.what();
  }
  EXPECT_EQ(session.conversation().messages.size(), before);
  // Closed properly, but with neither a finish_reason nor [DONE]: the reply is not complete.
  fake.play({delta({{"content", "Half"}})}, false, 0, /*send_done=*/false);
  try {
    session.run_turn(
        "three", [](const ChatEvent&) {}, cancel);
    ADD_FAILURE() << "an unfinished stream was accepted";
  } catch (const gptoss::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "remote: " + fake.url() + ": the stream ended before the reply did (after " +
                  std::to_string(3 + TinyModel::get().tokenizer->encode("Half").size()) + " tokens)");
  }
  EXPECT_EQ(session.conversation().messages.size(), before);
}

TEST(RemoteBackend, CancelClosesTheStreamAndKeepsThePartialAnswer) {
  FakeServer fake;
  std::vector<std::string> slow;
  for (int i = 0; i < 200; ++i) slow.push_back(delta({{"content", "word "}}));
  fake.play(slow, false, /*delay_ms=*/20);  // 4 s in all
  ChatSession session(connect(fake.url(), "m"), TinyModel::get().tokenizer, remote_state());
  std::atomic<bool> cancel{false};
  int deltas = 0;
  const auto start = std::chrono::steady_clock::now();
  const TurnStats stats = session.run_turn(
      "talk",
      [&](const ChatEvent& e) {
        if (std::holds_alternative<TextDelta>(e) && ++deltas == 3) cancel = true;
      },
      cancel);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(stats.end, TurnEnd::kCancelled);
  EXPECT_TRUE(stats.interrupted);
  EXPECT_LT(seconds, 3.0);  // not the whole 4 s stream: the transfer was closed
  const std::string partial = channel_text(session.conversation(), "final");
  EXPECT_EQ(partial.substr(0, 9), "word word");
  EXPECT_LT(partial.size(), 50u);
}

TEST(RemoteBackend, NothingListeningIsAOneLineError) {
  // A port the kernel hands out and takes back: nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const int port = ntohs(addr.sin_port);
  try {
    connect("http://127.0.0.1:" + std::to_string(port) + "/v1");
    ADD_FAILURE() << "connected to nothing";
  } catch (const gptoss::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "remote: http://127.0.0.1:" + std::to_string(port) + "/v1: cannot connect (", 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace gptoss::chat
