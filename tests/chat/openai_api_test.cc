// The chat-completions wire format without HTTP: request parsing (roles, tools, tool results,
// limits, errors naming the field) and the response assembler (deltas, stop sequences held back
// across deltas, tool calls, finish reasons).
#include "chat/openai_api.h"

#include <gtest/gtest.h>

namespace gptoss::chat {
namespace {

using json = nlohmann::json;

ApiError error_of(const json& body, const ApiLimits& limits = {}) {
  try {
    parse_completion_request(body.dump(), limits);
  } catch (const ApiException& e) {
    return e.error();
  }
  return ApiError{0};
}

TEST(OpenAiApi, RequestBecomesSettingsAndHarmonyMessages) {
  const json body = {
      {"model", "m"},
      {"messages",
       json::array(
           {{{"role", "system"}, {"content", "Be brief."}},
            {{"role", "developer"}, {"content", json::array({{{"type", "text"}, {"text", "Use metric."}}})}},
            {{"role", "user"}, {"content", "Weather?"}},
            {{"role", "assistant"},
             {"reasoning_content", "Need the tool."},
             {"content", nullptr},
             {"tool_calls", json::array({{{"id", "c1"},
                                          {"type", "function"},
                                          {"function", {{"name", "get_weather"}, {"arguments", "{}"}}}}})}},
            {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "sunny"}}})},
      {"reasoning_effort", "high"},
      {"temperature", 0.5},
      {"top_p", 0.9},
      {"seed", 3},
      {"max_completion_tokens", 77},
      {"stop", json::array({"END"})},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"tools", json::array({{{"type", "function"}, {"function", {{"name", "get_weather"}}}}})},
      {"frequency_penalty", 0.1}};  // ignored
  const CompletionRequest r = parse_completion_request(body.dump(), {});
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.state.settings.instructions, "Be brief.\n\nUse metric.");
  EXPECT_EQ(r.state.settings.effort, ReasoningEffort::kHigh);
  EXPECT_DOUBLE_EQ(r.state.settings.sampling.temperature, 0.5);
  EXPECT_DOUBLE_EQ(r.state.settings.sampling.top_p, 0.9);
  EXPECT_EQ(r.state.settings.sampling.seed, 3u);
  EXPECT_TRUE(r.fresh_sampler);
  EXPECT_EQ(r.max_tokens, 77);
  EXPECT_EQ(r.stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(r.stream && r.include_usage);
  ASSERT_EQ(r.state.settings.function_tools.size(), 1u);
  const auto& m = r.state.conversation.messages;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].role, "user");
  EXPECT_EQ(m[1].channel, "analysis");
  EXPECT_EQ(m[1].content, "Need the tool.");
  EXPECT_EQ(m[2].recipient, "functions.get_weather");
  EXPECT_EQ(m[2].channel, "commentary");
  EXPECT_EQ(m[2].content_type, "<|constrain|>json");
  EXPECT_EQ(m[3].role, "tool");
  EXPECT_EQ(m[3].name, "functions.get_weather");
  EXPECT_EQ(m[3].recipient, "assistant");
  EXPECT_EQ(m[3].content, "sunny");
}

TEST(OpenAiApi, ToolChoiceNoneDropsTheToolsAndReasoningIsAcceptedUnderEitherName) {
  const json body = {{"messages", json::array({{{"role", "user"}, {"content", "a"}},
                                               {{"role", "assistant"}, {"reasoning", "r"}, {"content", "b"}},
                                               {{"role", "user"}, {"content", "c"}}})},
                     {"tools", json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}})},
                     {"tool_choice", "none"}};
  const CompletionRequest r = parse_completion_request(body.dump(), {});
  EXPECT_TRUE(r.state.settings.function_tools.empty());
  EXPECT_EQ(r.state.conversation.messages[1].channel, "analysis");
  EXPECT_EQ(r.state.conversation.messages[1].content, "r");
  EXPECT_EQ(r.state.conversation.messages[2].channel, "final");
}

TEST(OpenAiApi, BadRequestsNameTheFieldAtFault) {
  const json user = json::array({{{"role", "user"}, {"content", "x"}}});
  EXPECT_EQ(error_of({{"messages", "hi"}}).param, "messages");
  EXPECT_EQ(error_of(json::object()).param, "messages");
  EXPECT_EQ(error_of({{"messages", json::array()}}).param, "messages");
  EXPECT_EQ(error_of({{"messages", user}, {"top_p", 0}}).param, "top_p");
  EXPECT_EQ(error_of({{"messages", user}, {"reasoning_effort", "max"}}).param, "reasoning_effort");
  EXPECT_EQ(error_of({{"messages", user}, {"max_tokens", 0}}).param, "max_tokens");
  EXPECT_EQ(error_of({{"messages", user}, {"n", 2}}).param, "n");
  EXPECT_EQ(error_of({{"messages", user}, {"stop", json::array({"a", "b", "c", "d", "e"})}}).param, "stop");
  EXPECT_EQ(error_of({{"messages", user},
                      {"tools", json::array({{{"type", "function"}, {"function", {{"name", "bad name"}}}}})}})
                .param,
            "tools[0].function.name");
  EXPECT_EQ(
      error_of({{"messages",
                 json::array({{{"role", "user"}, {"content", json::array({{{"type", "image_url"}}})}}})}})
          .param,
      "messages[0].content[0]");
  EXPECT_EQ(
      error_of({{"messages", json::array({{{"role", "user"}, {"content", "x"}},
                                          {{"role", "tool"}, {"tool_call_id", "nope"}, {"content", "y"}}})}})
          .param,
      "messages[1].tool_call_id");
  ApiLimits few;
  few.max_messages = 2;
  EXPECT_EQ(error_of({{"messages", json::array({user[0], user[0], user[0]})}}, few).param, "messages");
  few.max_body_bytes = 10;
  EXPECT_EQ(error_of({{"messages", user}}, few).status, 413);
  // Nested past the limit is refused before the parser recurses into it.
  std::string deep = "{\"messages\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  try {
    parse_completion_request(deep, {});
    ADD_FAILURE() << "accepted";
  } catch (const ApiException& e) {
    EXPECT_EQ(e.error().status, 400);
  }
}

TEST(OpenAiApi, StopSequencesAreHeldBackAcrossDeltasAndCut) {
  CompletionAssembler a("chatcmpl-x", "m", 1, {"STOP", "xyz"});
  std::string streamed;
  auto feed = [&](const std::string& text) {
    for (const json& c : a.on_event(TextDelta{"final", text})) {
      const json& d = c["choices"][0]["delta"];
      if (d.contains("content")) streamed += d["content"].get<std::string>();
    }
  };
  feed("Hello S");
  EXPECT_EQ(streamed, "Hello ");  // "S" may begin STOP
  feed("T");
  EXPECT_EQ(streamed, "Hello ");
  feed("x and more");  // "ST" + "x" is not STOP: released
  EXPECT_EQ(streamed, "Hello STx and more");
  feed(" then ST");
  feed("OP and after");
  EXPECT_EQ(streamed, "Hello STx and more then ");
  EXPECT_TRUE(a.stop_seen());
  feed("ignored");
  const json r = a.response(TurnEnd::kCancelled, {});
  EXPECT_EQ(r["choices"][0]["message"]["content"], "Hello STx and more then ");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAiApi, HeldTextIsFlushedAtTheEndAndFinishReasonsMapTurnEnds) {
  CompletionAssembler a("chatcmpl-x", "m", 1, {"END"});
  a.on_event(TextDelta{"final", "almost E"});
  const auto last = a.finish_chunks(TurnEnd::kBudgetExhausted, {10, 5, 2}, true);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0]["choices"][0]["delta"]["content"], "E");
  EXPECT_EQ(last[1]["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(last[2]["usage"]["total_tokens"], 15);
  EXPECT_EQ(last[2]["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
  EXPECT_EQ(CompletionAssembler::finish_reason(TurnEnd::kAnswered, false), "stop");
  EXPECT_EQ(CompletionAssembler::finish_reason(TurnEnd::kToolCalls, false), "tool_calls");
  EXPECT_EQ(CompletionAssembler::finish_reason(TurnEnd::kContextFull, false), "length");
}

TEST(OpenAiApi, ErrorBodyHasOpenAisShape) {
  const json e = error_body({404, "invalid_request_error", "model_not_found", "model", "no such model"});
  EXPECT_EQ(e, json::parse(R"({"error":{"message":"no such model","type":"invalid_request_error",
                                        "param":"model","code":"model_not_found"}})"));
}

}  // namespace
}  // namespace gptoss::chat
