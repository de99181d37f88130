// The OpenAI-compatible server over a real socket on 127.0.0.1, with the tiny random model whose
// output is scripted by a token picker (the engine still prefills and decodes every token).
#include "chat/openai_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "server_test_support.h"

namespace gptoss::chat {
namespace {

using namespace gptoss::chat::testing;

json user_request(const std::string& text, json extra = json::object()) {
  json body = {{"model", "tiny"}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  body.update(extra);
  return body;
}

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply post(const TestServer& server, const json& body, const httplib::Headers& headers = {}) {
  httplib::Client client = server.client();
  auto res = client.Post("/v1/chat/completions", headers, body.dump(), "application/json");
  if (!res) return {};
  Reply r{res->status, json(), res->body};
  r.body = json::parse(res->body, nullptr, false);
  return r;
}

const json& choice(const Reply& r) { return r.body.at("choices").at(0); }

TEST(OpenAiServer, PlainCompletionHasTheAnswerReasoningAndUsage) {
  TestServer server;
  const auto answer = reasoned_answer("Let me think.", "Hello there!");
  server.picks().push(answer);
  const Reply r = post(server, user_request("Hi", {{"max_tokens", 100}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["object"], "chat.completion");
  EXPECT_EQ(r.body["model"], "tiny");
  EXPECT_EQ(choice(r)["message"]["role"], "assistant");
  EXPECT_EQ(choice(r)["message"]["content"], "Hello there!");
  EXPECT_EQ(choice(r)["message"]["reasoning_content"], "Let me think.");
  EXPECT_EQ(choice(r)["finish_reason"], "stop");
  EXPECT_EQ(r.body["usage"]["completion_tokens"], answer.size());
  EXPECT_GT(r.body["usage"]["prompt_tokens"].get<int>(), 10);
  EXPECT_EQ(r.body["usage"]["total_tokens"],
            r.body["usage"]["prompt_tokens"].get<int>() + r.body["usage"]["completion_tokens"].get<int>());
}

TEST(OpenAiServer, StreamedCompletionSendsDeltasThenFinishUsageAndDone) {
  TestServer server;
  server.picks().push(reasoned_answer("Think.", "Streamed answer"));
  const Reply r =
      post(server, user_request("Hi", {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  bool done = false;
  const std::vector<json> events = sse_events(r.raw, &done);
  ASSERT_TRUE(done);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  std::string content, reasoning;
  std::string finish;
  for (const json& e : events) {
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (e["choices"].empty()) continue;
    const json& d = e["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(content, "Streamed answer");
  EXPECT_EQ(reasoning, "Think.");
  EXPECT_EQ(finish, "stop");
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_GT(events.back()["usage"]["completion_tokens"].get<int>(), 5);
}

TEST(OpenAiServer, TheNextTurnOfAConversationReusesTheCache) {
  TestServer server;
  server.picks().push(reasoned_answer("Hm.", "First."));
  server.picks().push(reasoned_answer("Hm.", "Second."));
  const Reply first = post(server, user_request("One"));
  ASSERT_EQ(first.status, 200) << first.raw;
  json next = user_request("One");
  next["messages"].push_back({{"role", "assistant"}, {"content", "First."}});
  next["messages"].push_back({{"role", "user"}, {"content", "Two"}});
  const Reply second = post(server, next);
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(choice(second)["message"]["content"], "Second.");
  // The first prompt up to its "<|start|>assistant" is a prefix of the second (the reasoning of
  // the completed turn is dropped from the prompt, spec section 10).
  EXPECT_GE(second.body["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(),
            first.body["usage"]["prompt_tokens"].get<int>() - 1);
}

TEST(OpenAiServer, ToolCallsAreReturnedAndToolResultsAnswered) {
  TestServer server;
  const json tools = json::array(
      {{{"type", "function"},
        {"function",
         {{"name", "get_weather"},
          {"description", "Weather of a city"},
          {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}}});
  server.picks().push(tool_call("get_weather", R"({"city":"Paris"})"));
  const Reply call = post(server, user_request("Weather in Paris?", {{"tools", tools}}));
  ASSERT_EQ(call.status, 200) << call.raw;
  EXPECT_EQ(choice(call)["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice(call)["message"]["content"].is_null());
  const json& tc = choice(call)["message"]["tool_calls"].at(0);
  EXPECT_EQ(tc["type"], "function");
  EXPECT_EQ(tc["function"]["name"], "get_weather");
  EXPECT_EQ(tc["function"]["arguments"], R"({"city":"Paris"})");
  const std::string id = tc["id"];
  EXPECT_FALSE(id.empty());

  // The client runs the tool and sends the result back.
  server.picks().push(reasoned_answer("Sunny.", "It is sunny in Paris."));
  json next = user_request("Weather in Paris?", {{"tools", tools}});
  next["messages"].push_back(
      {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array({tc})}});
  next["messages"].push_back({{"role", "tool"}, {"tool_call_id", id}, {"content", "sunny, 24 C"}});
  const Reply answer = post(server, next);
  ASSERT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(choice(answer)["message"]["content"], "It is sunny in Paris.");
  const std::string prompt = TinyModel::get().tokenizer->decode(server.backend().context()->tokens());
  EXPECT_NE(
      prompt.find(
          "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"
          "{\"city\":\"Paris\"}<|call|>"),
      std::string::npos)
      << prompt;
  EXPECT_NE(
      prompt.find(
          "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>sunny, 24 C<|end|>"),
      std::string::npos)
      << prompt;
  EXPECT_NE(prompt.find("type get_weather = (_: {\n"), std::string::npos) << prompt;
}

TEST(OpenAiServer, StreamedToolCallArrivesInDeltas) {
  TestServer server;
  const json tools = json::array({{{"type", "function"}, {"function", {{"name", "lookup"}}}}});
  server.picks().push(tool_call("lookup", R"({"q":"x"})"));
  const Reply r = post(server, user_request("?", {{"tools", tools}, {"stream", true}}));
  ASSERT_EQ(r.status, 200);
  std::string name, arguments, finish;
  for (const json& e : sse_events(r.raw)) {
    const json& c = e["choices"][0];
    if (c["delta"].contains("tool_calls")) {
      const json& t = c["delta"]["tool_calls"][0];
      EXPECT_EQ(t["index"], 0);
      if (t["function"].contains("name")) name += t["function"]["name"].get<std::string>();
      arguments += t["function"]["arguments"].get<std::string>();
    }
    if (!c["finish_reason"].is_null()) finish = c["finish_reason"];
  }
  EXPECT_EQ(name, "lookup");
  EXPECT_EQ(arguments, R"({"q":"x"})");
  EXPECT_EQ(finish, "tool_calls");
}

TEST(OpenAiServer, StopSequenceEndsTheAnswerBeforeIt) {
  TestServer server;
  server.picks().push(reasoned_answer("r", "one two three four"));
  const Reply plain = post(server, user_request("count", {{"stop", "three"}}));
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(choice(plain)["message"]["content"], "one two ");
  EXPECT_EQ(choice(plain)["finish_reason"], "stop");
}

// Opens a raw connection, sends a streamed request, reads until the first data event, and
// closes the socket: the client went away mid-answer.
void disconnect_mid_stream(int port, const json& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string text = body.dump();
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(text.size()) + "\r\n\r\n" + text;
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string received;
  char buf[4096];
  while (received.find("data: ") == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    received.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
}

TEST(OpenAiServer, AClientThatDisconnectsCancelsItsGeneration) {
  TestServer server;
  // No script: the model writes " a a a ..." up to max_tokens unless cancelled.
  disconnect_mid_stream(server.port(), user_request("go on", {{"stream", true}, {"max_tokens", 900}}));
  for (int i = 0; i < 500 && server.server().cancelled() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.server().cancelled(), 1u);
  EXPECT_LT(server.picks().picks(), 900u);
  // The queue is free again.
  server.picks().push(reasoned_answer("r", "after"));
  const Reply r = post(server, user_request("again"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(choice(r)["message"]["content"], "after");
}

void expect_error(const Reply& r, int status, const std::string& type, const std::string& code_or_param,
                  const std::string& message_part) {
  EXPECT_EQ(r.status, status) << r.raw;
  ASSERT_TRUE(r.body.contains("error")) << r.raw;
  const json& e = r.body["error"];
  EXPECT_EQ(e["type"], type) << r.raw;
  if (code_or_param.empty()) {
    EXPECT_TRUE(e["code"].is_null() && e["param"].is_null()) << r.raw;
  } else {
    EXPECT_TRUE(e["code"] == code_or_param || e["param"] == code_or_param) << r.raw;
  }
  EXPECT_NE(e["message"].get<std::string>().find(message_part), std::string::npos) << r.raw;
}

TEST(OpenAiServer, EveryBadRequestGetsItsStatusAndAnOpenAiError) {
  ServerOptions options;
  options.limits.max_body_bytes = 64 * 1024;
  TestServer server(options);
  httplib::Client c = server.client();

  auto raw = c.Post("/v1/chat/completions", "{not json", "application/json");
  ASSERT_TRUE(raw);
  expect_error({raw->status, json::parse(raw->body), raw->body}, 400, "invalid_request_error", "",
               "parse the JSON");
  expect_error(post(server, user_request("x", {{"temperature", 5}})), 400, "invalid_request_error",
               "temperature", "temperature");
  expect_error(post(server, {{"messages", json::array({{{"role", "bot"}, {"content", "x"}}})}}), 400,
               "invalid_request_error", "messages[0].role", "bot");
  json ends_with_assistant = user_request("x");
  ends_with_assistant["messages"].push_back({{"role", "assistant"}, {"content", "y"}});
  expect_error(post(server, ends_with_assistant), 400, "invalid_request_error", "messages", "last message");
  expect_error(post(server, user_request("x", {{"max_tokens", 5000}})), 400, "invalid_request_error",
               "context_length_exceeded", "context");
  expect_error(post(server, user_request("x", {{"max_tokens", 100000}})), 400, "invalid_request_error",
               "max_tokens", "out of range");
  expect_error(post(server, user_request("x", {{"model", "gpt-4o"}})), 404, "invalid_request_error",
               "model_not_found", "gpt-4o");
  auto unknown_path = c.Get("/v1/embeddings");
  ASSERT_TRUE(unknown_path);
  expect_error({unknown_path->status, json::parse(unknown_path->body), unknown_path->body}, 404,
               "invalid_request_error", "not_found", "/v1/embeddings");
  auto unknown_model = c.Get("/v1/models/gpt-4o");
  ASSERT_TRUE(unknown_model);
  EXPECT_EQ(unknown_model->status, 404);
  const Reply too_big = post(server, user_request(std::string(100 * 1024, 'x')));
  expect_error(too_big, 413, "invalid_request_error", "request_too_large", "too large");
  EXPECT_EQ(server.counting().calls(), 0);  // none of them reached the model
}

TEST(OpenAiServer, AnApiKeyIsCheckedOnEveryRequest) {
  ServerOptions options;
  options.api_key = "sekrit";
  TestServer server(options);
  httplib::Client c = server.client();
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  expect_error({health->status, json::parse(health->body), health->body}, 401, "invalid_request_error",
               "invalid_api_key", "API key");
  expect_error(post(server, user_request("x"), {{"Authorization", "Bearer wrong"}}), 401,
               "invalid_request_error", "invalid_api_key", "API key");
  server.picks().push(reasoned_answer("r", "ok"));
  const Reply ok = post(server, user_request("x"), {{"Authorization", "Bearer sekrit"}});
  EXPECT_EQ(ok.status, 200) << ok.raw;
  auto models = c.Get("/v1/models", {{"Authorization", "Bearer sekrit"}});
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "tiny");
}

TEST(OpenAiServer, AFullQueueAnswers429AndATimedOutWait503) {
  ServerOptions options;
  options.max_waiting = 1;
  options.queue_timeout_seconds = 0.5;
  TestServer server(options);
  server.picks().hold(true);
  auto running = std::async(std::launch::async, [&] {
    return post(server, user_request("long", {{"max_tokens", 3}}));
  });
  server.picks().wait_until_held();  // the first request is generating
  auto waiting = std::async(std::launch::async, [&] { return post(server, user_request("waits")); });
  for (int i = 0; i < 200 && server.server().waiting() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(server.server().waiting(), 1u);
  expect_error(post(server, user_request("third")), 429, "rate_limit_exceeded", "queue_full", "busy");
  expect_error(waiting.get(), 503, "server_error", "queue_timeout", "waited");
  server.picks().hold(false);
  EXPECT_EQ(running.get().status, 200);
}

TEST(OpenAiServer, ConcurrentRequestsAreQueuedAndAllAnswered) {
  TestServer server;
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 3; ++i) {
    replies.push_back(std::async(std::launch::async, [&server, i] {
      return post(server, user_request("question " + std::to_string(i), {{"max_tokens", 12}}));
    }));
  }
  for (auto& r : replies) {
    const Reply reply = r.get();
    EXPECT_EQ(reply.status, 200) << reply.raw;
    EXPECT_EQ(reply.body["usage"]["completion_tokens"], 12);
  }
  EXPECT_EQ(server.counting().calls(), 3);
  EXPECT_EQ(server.counting().max_active(), 1);
}

TEST(OpenAiServer, HealthAndModels) {
  TestServer server;
  httplib::Client c = server.client();
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  const json list = json::parse(models->body);
  EXPECT_EQ(list["object"], "list");
  EXPECT_EQ(list["data"][0]["id"], "tiny");
  EXPECT_EQ(list["data"][0]["object"], "model");
  auto one = c.Get("/v1/models/tiny");
  ASSERT_TRUE(one);
  EXPECT_EQ(json::parse(one->body)["id"], "tiny");
}

}  // namespace
}  // namespace gptoss::chat
