// ChatSession on the tiny random model (written in-process into a temp dir). Random weights say
// nothing useful, so most tests script the model's output with a token picker: the engine still
// prefills and decodes every token, so KV reuse, cancel and cache consistency are real.
#include "chat/chat_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <thread>
#include <variant>

#include "chat/context_policy.h"
#include "chat/local_backend.h"
#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;
namespace special = tokenizer::special;
using engine::Context;
using engine::Model;

class ChatSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gptoss::testing::TempDir;
    engine::TestModelOptions options;
    options.seed = 11;
    engine::write_test_model(dir_->str(), *engine::find_test_model_preset("tiny"), options);
    local_model_ = new LocalModel(open_local_model(dir_->str(), {.threads = 1}));
    model_ = &local_model_->model;
    tokenizer_ = new std::shared_ptr<const tokenizer::Tokenizer>(tokenizer::Tokenizer::load_default());
  }
  static void TearDownTestSuite() {
    delete local_model_;
    delete tokenizer_;
    delete dir_;  // and its folder
  }

  static SessionState small_state(int max_new_tokens = 64) {
    SessionState state;
    state.settings.context_tokens = 1024;
    state.settings.max_new_tokens = max_new_tokens;
    state.settings.sampling.seed = 7;
    return state;
  }
  std::unique_ptr<ChatSession> make_session(SessionState state = small_state()) {
    return std::make_unique<ChatSession>(std::make_shared<LocalBackend>(*local_model_), *tokenizer_,
                                         std::move(state), "2026-11-23");
  }

  // Token ids of a script: strings are ordinary text, ints are special tokens.
  static std::vector<int32_t> script(std::initializer_list<std::variant<int32_t, std::string>> parts) {
    std::vector<int32_t> ids;
    for (const auto& p : parts) {
      if (std::holds_alternative<int32_t>(p)) {
        ids.push_back(std::get<int32_t>(p));
      } else {
        auto more = (*tokenizer_)->encode(std::get<std::string>(p));
        ids.insert(ids.end(), more.begin(), more.end());
      }
    }
    return ids;
  }
  static std::vector<int32_t> final_answer(const std::string& text) {
    return script({special::kChannel, std::string("final"), special::kMessage, text, special::kReturn});
  }

  // The logits a fresh context gives for the last token of `prompt`.
  static std::vector<float> fresh_logits(const std::vector<int32_t>& prompt) {
    Context fresh(*model_, {.max_tokens = 1024});
    auto logits = fresh.prefill(prompt);
    return {logits.begin(), logits.end()};
  }

  static gptoss::testing::TempDir* dir_;
  static LocalModel* local_model_;
  static const std::shared_ptr<const Model>* model_;
  static std::shared_ptr<const tokenizer::Tokenizer>* tokenizer_;
};

gptoss::testing::TempDir* ChatSessionTest::dir_ = nullptr;
LocalModel* ChatSessionTest::local_model_ = nullptr;
const std::shared_ptr<const Model>* ChatSessionTest::model_ = nullptr;
std::shared_ptr<const tokenizer::Tokenizer>* ChatSessionTest::tokenizer_ = nullptr;

// The session's engine backend, where the token picker and the KV cache are.
LocalBackend& local(const ChatSession& session) { return static_cast<LocalBackend&>(session.backend()); }

// Plays a fixed token list; records the context and logits seen at each pick.
struct ScriptedModel {
  std::deque<int32_t> tokens;
  const ChatSession* session = nullptr;
  std::vector<std::vector<int32_t>> context_at_pick;
  std::vector<std::vector<float>> logits_at_pick;
  std::function<void(size_t picks)> after_pick;

  void load(const std::vector<int32_t>& ids) { tokens.assign(ids.begin(), ids.end()); }

  LocalBackend::TokenPicker picker() {
    return [this](std::span<const float> logits) {
      context_at_pick.push_back(local(*session).context()->tokens());
      logits_at_pick.emplace_back(logits.begin(), logits.end());
      const int32_t t = tokens.empty() ? special::kReturn : tokens.front();
      if (!tokens.empty()) tokens.pop_front();
      if (after_pick) after_pick(logits_at_pick.size());
      return t;
    };
  }
};

struct EventLog {
  std::vector<ChatEvent> events;
  ChatEventSink sink() {
    return [this](const ChatEvent& e) { events.push_back(e); };
  }
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (auto* p = std::get_if<T>(&e)) out.push_back(*p);
    }
    return out;
  }
  std::string text(const std::optional<std::string>& channel) const {
    std::string out;
    for (const auto& d : all<TextDelta>()) {
      if (d.channel == channel) out += d.text;
    }
    return out;
  }
};

Message user_message(std::string text) {
  Message m;
  m.role = "user";
  m.content = std::move(text);
  return m;
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

// Prefill with a reused prefix and a fresh full prefill run the same float32 arithmetic except
// for how rows are batched; the engine's kernels accumulate each row in the same order, so the
// logits agree to float32 rounding of ~1e-5 relative. 1e-4 of the largest logit allows for a
// different accumulation order in batched attention without hiding a wrong position or cache.
void expect_logits_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  float scale = 0;
  for (float x : want) scale = std::max(scale, std::fabs(x));
  float worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
  EXPECT_LE(worst, 1e-4f * scale) << "max |diff| " << worst << " of scale " << scale;
}

TEST_F(ChatSessionTest, FirstTurnStreamsAndStoresTheAnswer) {
  auto session = make_session();
  ScriptedModel model;
  model.session = session.get();
  model.load(final_answer("Hello there!"));
  const size_t scripted = model.tokens.size();
  local(*session).set_token_picker(model.picker());
  const std::vector<int32_t> prompt_before = [&] {
    SessionState s = session->state();
    s.conversation.messages.push_back(user_message("Hi"));
    return render_next_prompt(s, **tokenizer_);
  }();

  EventLog log;
  std::atomic<bool> cancel{false};
  TurnStats stats = session->run_turn("Hi", log.sink(), cancel);

  EXPECT_EQ(stats.end, TurnEnd::kAnswered);
  EXPECT_FALSE(stats.interrupted);
  EXPECT_EQ(stats.tokens_reused, 0u);
  EXPECT_EQ(stats.tokens_prefilled, prompt_before.size());
  EXPECT_EQ(stats.tokens_generated, scripted);
  ASSERT_FALSE(log.events.empty());
  EXPECT_TRUE(std::holds_alternative<PrefillFinished>(log.events.front()));
  EXPECT_TRUE(std::holds_alternative<TurnFinished>(log.events.back()));
  auto started = log.all<MessageStarted>();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].channel, std::optional<std::string>("final"));
  EXPECT_EQ(log.text("final"), "Hello there!");
  auto finished = log.all<MessageFinished>();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].complete);

  const auto& messages = session->conversation().messages;
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].role, "user");
  EXPECT_EQ(messages[1].role, "assistant");
  EXPECT_EQ(messages[1].channel, std::optional<std::string>("final"));
  EXPECT_EQ(messages[1].content, "Hello there!");
  ASSERT_EQ(session->turns().size(), 1u);
  EXPECT_EQ(session->turns()[0].first_message, 0u);

  // The cache holds the prompt and every sampled token except the final <|return|>.
  std::vector<int32_t> want = prompt_before;
  const auto& sampled = final_answer("Hello there!");
  want.insert(want.end(), sampled.begin(), sampled.end() - 1);
  EXPECT_EQ(local(*session).context()->tokens(), want);
  // The stored reply renders with <|end|>, never <|return|>.
  const auto next = session->next_prompt();
  EXPECT_EQ(std::count(next.begin(), next.end(), special::kReturn), 0);
}

TEST_F(ChatSessionTest, SecondTurnPrefillsOnlyWhatChangedAndMatchesAFreshPrefill) {
  auto session = make_session();
  ScriptedModel model;
  model.session = session.get();
  const auto first = script({special::kChannel, std::string("analysis"), special::kMessage,
                             std::string("The user greets me."), special::kEnd, special::kStart,
                             std::string("assistant"), special::kChannel, std::string("final"),
                             special::kMessage, std::string("Hi! How can I help?"), special::kReturn});
  model.load(first);
  local(*session).set_token_picker(model.picker());
  EventLog log1;
  std::atomic<bool> cancel{false};
  TurnStats t1 = session->run_turn("Hello, who are you?", log1.sink(), cancel);
  ASSERT_EQ(t1.end, TurnEnd::kAnswered);
  ASSERT_EQ(session->conversation().messages.size(), 3u);  // user, analysis, final
  const std::vector<int32_t> cache_after_first = local(*session).context()->tokens();

  model.load(final_answer("Sure."));
  const size_t picks_before = model.logits_at_pick.size();
  EventLog log2;
  TurnStats t2 = session->run_turn("Tell me a joke.", log2.sink(), cancel);
  ASSERT_EQ(t2.end, TurnEnd::kAnswered);

  // At the first pick of turn 2 the cache holds exactly turn 2's prompt.
  const std::vector<int32_t>& prompt2 = model.context_at_pick.at(picks_before);
  ASSERT_EQ(prompt2.back(), (*tokenizer_)->encode("assistant").back());
  const size_t lcp = common_prefix(cache_after_first, prompt2);
  EXPECT_EQ(t2.tokens_reused, lcp);
  EXPECT_EQ(t2.tokens_prefilled, prompt2.size() - lcp);
  // The reused prefix covers system, developer and the first question (the first answer's
  // analysis is dropped, so they diverge inside the first reply).
  EXPECT_GT(lcp, t1.tokens_prefilled - 2);
  EXPECT_LT(t2.tokens_prefilled, prompt2.size() / 2);
  auto prefills = log2.all<PrefillFinished>();
  ASSERT_EQ(prefills.size(), 1u);
  EXPECT_EQ(prefills[0].tokens_reused, lcp);

  // The analysis of the completed turn is gone from the prompt; the final answer stays.
  const std::string text = (*tokenizer_)->decode(prompt2);
  EXPECT_EQ(text.find("The user greets me."), std::string::npos);
  EXPECT_NE(text.find("Hi! How can I help?"), std::string::npos);

  expect_logits_near(model.logits_at_pick.at(picks_before), fresh_logits(prompt2));
}

TEST_F(ChatSessionTest, KeepReasoningKeepsTheAnalysis) {
  SessionState state = small_state();
  state.settings.keep_reasoning = true;
  auto session = make_session(state);
  ScriptedModel model;
  model.session = session.get();
  model.load(
      script({special::kChannel, std::string("analysis"), special::kMessage, std::string("thinking hard"),
              special::kEnd, special::kStart, std::string("assistant"), special::kChannel,
              std::string("final"), special::kMessage, std::string("done"), special::kReturn}));
  local(*session).set_token_picker(model.picker());
  EventLog log;
  std::atomic<bool> cancel{false};
  session->run_turn("q", log.sink(), cancel);
  EXPECT_NE((*tokenizer_)->decode(session->next_prompt()).find("thinking hard"), std::string::npos);
  SessionSettings s = session->settings();
  s.keep_reasoning = false;
  session->set_settings(s);
  EXPECT_EQ((*tokenizer_)->decode(session->next_prompt()).find("thinking hard"), std::string::npos);
}

TEST_F(ChatSessionTest, CancelStopsWithinOneTokenKeepsThePartialAnswerAndTheCacheStaysConsistent) {
  auto session = make_session();
  ScriptedModel model;
  model.session = session.get();
  const auto header = script({special::kChannel, std::string("final"), special::kMessage});
  const auto body = (*tokenizer_)->encode(" one two three four five six seven eight nine ten");
  model.load(header);
  model.tokens.insert(model.tokens.end(), body.begin(), body.end());
  model.tokens.push_back(special::kReturn);
  std::atomic<bool> cancel{false};
  const size_t cancel_after = header.size() + 4;  // 4 content tokens
  model.after_pick = [&](size_t picks) {
    if (picks == cancel_after) cancel = true;  // as the UI thread would, while a token is decoded
  };
  local(*session).set_token_picker(model.picker());
  EventLog log;
  TurnStats stats = session->run_turn("Count to ten", log.sink(), cancel);

  EXPECT_EQ(stats.end, TurnEnd::kCancelled);
  EXPECT_TRUE(stats.interrupted);
  EXPECT_EQ(stats.tokens_generated, cancel_after);  // not one token more
  const std::string partial = (*tokenizer_)->decode(std::span(body).first(4));
  const auto& messages = session->conversation().messages;
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].channel, std::optional<std::string>("final"));
  EXPECT_EQ(messages[1].content, partial);
  auto finished = log.all<MessageFinished>();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_FALSE(finished[0].complete);
  ASSERT_EQ(session->turns().size(), 1u);
  EXPECT_TRUE(session->turns()[0].stats.interrupted);
  // The cache holds the prompt and every picked token: nothing half-written.
  const auto& cache = local(*session).context()->tokens();
  ASSERT_GE(cache.size(), cancel_after);
  EXPECT_TRUE(std::equal(header.begin(), header.end(), cache.end() - cancel_after));

  // The next turn works, shows the partial answer, reuses the cache and gets the same logits as a
  // fresh prefill of its prompt.
  cancel = false;
  model.after_pick = nullptr;
  model.load(final_answer("ok"));
  const size_t picks_before = model.logits_at_pick.size();
  TurnStats next = session->run_turn("Go on", log.sink(), cancel);
  EXPECT_EQ(next.end, TurnEnd::kAnswered);
  EXPECT_GT(next.tokens_reused, 0u);
  const auto& prompt2 = model.context_at_pick.at(picks_before);
  EXPECT_NE((*tokenizer_)->decode(prompt2).find(partial + "<|end|><|start|>user"), std::string::npos);
  expect_logits_near(model.logits_at_pick.at(picks_before), fresh_logits(prompt2));
}

TEST_F(ChatSessionTest, CancelFromAnotherThreadEndsTheTurn) {
  SessionState state = small_state(/*max_new_tokens=*/900);
  auto session = make_session(state);
  std::atomic<int> picks{0};
  local(*session).set_token_picker([&](std::span<const float>) {
    picks.fetch_add(1);
    return (*tokenizer_)->encode("la").front();  // never a stop token
  });
  std::atomic<bool> cancel{false};
  TurnStats stats;
  EventLog log;
  std::thread worker([&] { stats = session->run_turn("Sing", log.sink(), cancel); });
  while (picks.load() < 3) std::this_thread::yield();
  const int seen = picks.load();
  cancel = true;
  const int at_cancel = picks.load();
  worker.join();
  EXPECT_EQ(stats.end, TurnEnd::kCancelled);
  EXPECT_GE(static_cast<int>(stats.tokens_generated), seen);
  EXPECT_LE(static_cast<int>(stats.tokens_generated), at_cancel + 1);
  EXPECT_LT(stats.tokens_generated, 900u);
}

// Ctrl-C during a long prompt: the prefill stops between chunks, no token is sampled, the cache
// holds a prefix of the prompt, and the next turn still works from it.
TEST_F(ChatSessionTest, CancelDuringALongPrefillStopsBetweenChunks) {
  SessionState state = small_state(/*max_new_tokens=*/8);
  state.settings.context_tokens = 8192;
  auto session = make_session(state);
  int picks = 0;
  local(*session).set_token_picker([&](std::span<const float>) {
    ++picks;
    return (*tokenizer_)->encode("la").front();
  });
  std::string question;
  for (int i = 0; i < 1500; ++i) question += "word" + std::to_string(i) + " ";  // ~3000 tokens
  std::atomic<bool> cancel{false};
  TurnStats stats;
  EventLog log;
  // Ctrl-C right after the first chunk, from a hook: the prefill stops before the second chunk
  // however fast the engine is (a sleep before cancelling assumed a slow prefill).
  int chunks = 0;
  local(*session).set_prefill_hook([&](size_t done) {
    ++chunks;
    if (done >= 128) cancel = true;
  });
  // The prompt's start (system and developer messages, < 128 tokens) is a batch of its own first.
  const size_t prefix = session->next_prompt_prefix().size();
  ASSERT_LT(prefix, 128u);
  std::thread worker([&] { stats = session->run_turn(question, log.sink(), cancel); });
  worker.join();
  const std::vector<int32_t> prompt = session->next_prompt();
  EXPECT_EQ(stats.end, TurnEnd::kCancelled);
  EXPECT_EQ(picks, 0);
  EXPECT_EQ(stats.tokens_generated, 0u);
  EXPECT_EQ(chunks, 2);
  EXPECT_EQ(stats.tokens_reused, 0u);
  EXPECT_GT(prompt.size(), 1000u);
  EXPECT_EQ(stats.tokens_prefilled, prefix + 128u);  // the prompt's start, then one chunk (kPrefillChunk)
  const std::vector<int32_t>& cache = local(*session).context()->tokens();
  EXPECT_EQ(cache.size(), stats.tokens_prefilled);
  ASSERT_LE(cache.size(), prompt.size());
  EXPECT_TRUE(std::equal(cache.begin(), cache.end(), prompt.begin()));
  cancel = false;
  local(*session).set_prefill_hook(nullptr);
  TurnStats next = session->run_turn("Short now", log.sink(), cancel);
  EXPECT_EQ(next.end, TurnEnd::kBudgetExhausted);
  EXPECT_EQ(next.tokens_generated, 8u);
}

TEST_F(ChatSessionTest, RandomModelTurnsEndAtTheBudgetAndAreReproducible) {
  auto run = [&](uint64_t seed) {
    SessionState state = small_state(/*max_new_tokens=*/6);
    state.settings.sampling.seed = seed;
    auto session = make_session(state);
    EventLog log;
    std::atomic<bool> cancel{false};
    TurnStats stats = session->run_turn("Hello", log.sink(), cancel);
    // Gibberish rarely ends with <|return|>: the budget ends the turn, reported as such.
    if (stats.end != TurnEnd::kAnswered) {
      EXPECT_EQ(stats.end, TurnEnd::kBudgetExhausted);
      EXPECT_EQ(stats.tokens_generated, 6u);
    }
    const auto& cache = local(*session).context()->tokens();
    return std::vector<int32_t>(cache.end() - 5, cache.end());
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST_F(ChatSessionTest, ToolCallIsAnsweredByTheHandlerAndTheTurnEndsWithAnAnswer) {
  SessionState state = small_state();
  ToolDescription tool;
  tool.name = "get_weather";
  tool.description = "Current weather";
  tool.parameters = ordered_json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})");
  state.settings.function_tools = {tool};
  auto session = make_session(state);
  // The function tool is rendered in the developer message.
  EXPECT_NE((*tokenizer_)->decode(session->next_prompt()).find("type get_weather"), std::string::npos);

  ScriptedModel model;
  model.session = session.get();
  model.load(
      script({special::kChannel, std::string("commentary to=functions.get_weather "), special::kConstrain,
              std::string("json"), special::kMessage, std::string(R"({"city":"Paris"})"), special::kCall}));
  const auto answer = final_answer("Sunny in Paris.");
  model.tokens.insert(model.tokens.end(), answer.begin(), answer.end());
  local(*session).set_token_picker(model.picker());
  std::vector<ToolCall> calls;
  session->set_tool_handler([&](const ToolCall& call) -> std::optional<std::string> {
    calls.push_back(call);
    return "sunny, 21 C\xff";  // a tool's bytes are not checked UTF-8: repaired, not an error
  });
  EventLog log;
  std::atomic<bool> cancel{false};
  TurnStats stats = session->run_turn("Weather in Paris?", log.sink(), cancel);

  EXPECT_EQ(stats.end, TurnEnd::kAnswered);
  EXPECT_EQ(stats.tool_calls, 1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].recipient, "functions.get_weather");
  EXPECT_EQ(calls[0].arguments, R"({"city":"Paris"})");
  auto called = log.all<ToolCalled>();
  ASSERT_EQ(called.size(), 1u);
  EXPECT_TRUE(called[0].available);
  EXPECT_EQ(called[0].call.content_type, std::optional<std::string>("<|constrain|>json"));
  const auto& m = session->conversation().messages;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].recipient, std::optional<std::string>("functions.get_weather"));
  EXPECT_EQ(m[2].role, "tool");
  EXPECT_EQ(m[2].name, std::optional<std::string>("functions.get_weather"));
  EXPECT_EQ(m[2].recipient, std::optional<std::string>("assistant"));
  EXPECT_EQ(m[2].channel, std::optional<std::string>("commentary"));
  EXPECT_EQ(m[2].content, "sunny, 21 C\uFFFD");
  EXPECT_EQ(m[3].content, "Sunny in Paris.");
  // Two prefills: the prompt, then the call (re-rendered by harmony) and its result only.
  auto prefills = log.all<PrefillFinished>();
  ASSERT_EQ(prefills.size(), 2u);
  EXPECT_GT(prefills[1].tokens_reused, prefills[0].tokens_prefilled - 2);
  EXPECT_EQ(stats.tokens_prefilled, prefills[0].tokens_prefilled + prefills[1].tokens_prefilled);
}

TEST_F(ChatSessionTest, UnknownToolIsToldNotAvailableAndRoundsAreBounded) {
  SessionState state = small_state(/*max_new_tokens=*/200);
  state.settings.max_tool_rounds = 2;
  auto session = make_session(state);
  ScriptedModel model;
  model.session = session.get();
  const auto call = script({special::kChannel, std::string("analysis to=browser.search"), special::kMessage,
                            std::string(R"({"query":"x"})"), special::kCall});
  for (int i = 0; i < 5; ++i) model.tokens.insert(model.tokens.end(), call.begin(), call.end());
  local(*session).set_token_picker(model.picker());
  EventLog log;
  std::atomic<bool> cancel{false};
  TurnStats stats = session->run_turn("Search the web", log.sink(), cancel);

  EXPECT_EQ(stats.end, TurnEnd::kToolRoundsExhausted);
  EXPECT_EQ(stats.tool_calls, 3);  // two answered rounds, the third told to stop
  auto answered = log.all<ToolAnswered>();
  ASSERT_EQ(answered.size(), 3u);
  EXPECT_NE(answered[0].message.content.find("not available"), std::string::npos);
  EXPECT_EQ(answered[0].message.channel, std::optional<std::string>("analysis"));  // built-in: analysis
  EXPECT_NE(answered[2].message.content.find("too many tool calls"), std::string::npos);
  for (const auto& c : log.all<ToolCalled>()) EXPECT_FALSE(c.available);
  // A call to a function that is not declared is not passed to the handler either.
  EXPECT_EQ(session->conversation().messages.back().role, "tool");
}

TEST_F(ChatSessionTest, ContextOverflowDropsTheOldestTurnsAndATooLongMessageIsAnError) {
  SessionState state = small_state(/*max_new_tokens=*/8);
  state.settings.context_tokens = 4096;
  auto session = make_session(state);
  ScriptedModel model;
  model.session = session.get();
  local(*session).set_token_picker(model.picker());
  std::atomic<bool> cancel{false};
  EventLog log;
  const std::vector<std::string> questions = {"First question about apples", "Second question about pears",
                                              "Third question about plums"};
  for (const auto& q : questions) {
    model.load(final_answer("ok"));
    ASSERT_EQ(session->run_turn(q, log.sink(), cancel).end, TurnEnd::kAnswered);
  }
  // Size a context that holds turns 2, 3 and a fourth question, but not turn 1 as well.
  SessionState s = session->state();
  s.conversation.messages.push_back(user_message("Fourth"));
  const uint64_t all = render_next_prompt(s, **tokenizer_).size();
  s.first_message = 2;
  const uint64_t without_first = render_next_prompt(s, **tokenizer_).size();
  ASSERT_LT(without_first, all);

  SessionState resumed = session->state();
  resumed.settings.context_tokens = static_cast<int>(without_first + 8);
  auto small = make_session(resumed);
  local(*small).set_token_picker(model.picker());
  model.load(final_answer("ok"));
  EventLog log2;
  TurnStats stats = small->run_turn("Fourth", log2.sink(), cancel);
  EXPECT_EQ(stats.end, TurnEnd::kAnswered);
  EXPECT_EQ(stats.dropped_turns, 1);
  auto trimmed = log2.all<ContextTrimmed>();
  ASSERT_EQ(trimmed.size(), 1u);
  EXPECT_EQ(trimmed[0].dropped_turns, 1);
  EXPECT_EQ(trimmed[0].dropped_messages, 2);
  EXPECT_EQ(trimmed[0].prompt_tokens, without_first);
  EXPECT_EQ(small->state().first_message, 2u);
  EXPECT_EQ(small->conversation().messages.size(), 8u);  // history is kept, only the window moved
  const std::string prompt = (*tokenizer_)->decode(small->next_prompt());
  EXPECT_EQ(prompt.find("apples"), std::string::npos);
  EXPECT_NE(prompt.find("pears"), std::string::npos);
  EXPECT_NE(prompt.find("You are ChatGPT"), std::string::npos);  // the system message stays

  // A single question that cannot fit with the reply budget: an error, nothing changed.
  std::string huge;
  for (int i = 0; i < 400; ++i) huge += "word ";
  const size_t before = small->conversation().messages.size();
  try {
    small->run_turn(huge, log2.sink(), cancel);
    FAIL() << "expected ChatError";
  } catch (const ChatError& e) {
    EXPECT_NE(std::string(e.what()).find("message too long for the context window"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(small->conversation().messages.size(), before);
  EXPECT_EQ(small->turns().size(), 4u);
}

TEST_F(ChatSessionTest, RetryRegeneratesReusingTheWholePromptAndUndoRemovesTheExchange) {
  auto session = make_session();
  ScriptedModel model;
  model.session = session.get();
  local(*session).set_token_picker(model.picker());
  std::atomic<bool> cancel{false};
  EventLog log;
  model.load(final_answer("first try"));
  TurnStats first = session->run_turn("Name a colour", log.sink(), cancel);

  model.load(final_answer("second try"));
  TurnStats again = session->retry(log.sink(), cancel);
  EXPECT_EQ(again.end, TurnEnd::kAnswered);
  EXPECT_EQ(again.tokens_reused, first.tokens_prefilled - 1);  // same prompt: only its last token again
  EXPECT_EQ(again.tokens_prefilled, 1u);
  ASSERT_EQ(session->conversation().messages.size(), 2u);
  EXPECT_EQ(session->conversation().messages[1].content, "second try");
  ASSERT_EQ(session->turns().size(), 1u);

  EXPECT_EQ(session->undo(), std::optional<std::string>("Name a colour"));
  EXPECT_TRUE(session->conversation().messages.empty());
  EXPECT_TRUE(session->turns().empty());
  EXPECT_EQ(session->undo(), std::nullopt);
  EXPECT_THROW(session->retry(log.sink(), cancel), ChatError);

  model.load(final_answer("x"));
  session->run_turn("again", log.sink(), cancel);
  session->new_conversation();
  EXPECT_TRUE(session->conversation().messages.empty());
  EXPECT_TRUE(session->conversation().system.has_value());
}

TEST_F(ChatSessionTest, InvalidUtf8IsReplacedAndSpecialStringsStayText) {
  auto session = make_session();
  ScriptedModel model;
  model.session = session.get();
  model.load(final_answer("ok"));
  local(*session).set_token_picker(model.picker());
  std::atomic<bool> cancel{false};
  EventLog log;
  session->run_turn(
      "a\xff"
      "b\xe2\x82 <|end|>",
      log.sink(), cancel);
  EXPECT_EQ(session->conversation().messages[0].content,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD <|end|>");
  // The typed "<|end|>" is ordinary text: exactly one <|end|> id per rendered message boundary.
  const auto prompt = model.context_at_pick.at(0);
  const auto user_text = (*tokenizer_)->encode(session->conversation().messages[0].content);
  EXPECT_NE(std::search(prompt.begin(), prompt.end(), user_text.begin(), user_text.end()), prompt.end());
}

TEST_F(ChatSessionTest, SettingsAreChecked) {
  SessionState state = small_state();
  state.settings.context_tokens = (*model_)->config().max_context + 1;
  EXPECT_THROW(make_session(state), ChatError);
  auto session = make_session();
  SessionSettings s = session->settings();
  s.max_new_tokens = s.context_tokens;
  EXPECT_THROW(session->set_settings(s), ChatError);
  s = session->settings();
  s.sampling.top_p = 0;
  EXPECT_THROW(session->set_settings(s), ChatError);
  s = session->settings();
  s.effort = ReasoningEffort::kHigh;
  session->set_settings(s);
  EXPECT_NE((*tokenizer_)->decode(session->next_prompt()).find("Reasoning: high"), std::string::npos);
  EXPECT_NE((*tokenizer_)->decode(session->next_prompt()).find("Current date: 2026-11-23"),
            std::string::npos);
}

}  // namespace
}  // namespace gptoss::chat

namespace gptoss::chat {
namespace {

// The window choice without a model: a prompt costs 10 tokens per message plus 50 for the headers.
TEST(ContextPolicyTest, ChooseWindowDropsWholeOldestTurnsAndKeepsTheQuestion) {
  SessionState state;
  auto add = [&](const char* role) {
    Message m;
    m.role = role;
    state.conversation.messages.push_back(m);
  };
  for (int turn = 0; turn < 3; ++turn) {
    add("user");
    add("assistant");
    add("assistant");
  }
  add("user");  // the current question: index 9
  auto count = [](const SessionState& s) {
    return 50 + 10 * (s.conversation.messages.size() - s.first_message);
  };

  auto all = choose_window(state, 150 + 20, 20, count);  // 10 messages fit exactly
  ASSERT_TRUE(all);
  EXPECT_EQ(all->first_message, 0u);
  EXPECT_EQ(all->dropped_turns, 0);
  EXPECT_EQ(all->prompt_tokens, 150u);

  auto two = choose_window(state, 149 + 20, 20, count);  // one token short: turn 1 (3 messages) goes
  ASSERT_TRUE(two);
  EXPECT_EQ(two->first_message, 3u);
  EXPECT_EQ(two->dropped_turns, 1);
  EXPECT_EQ(two->dropped_messages, 3);
  EXPECT_EQ(two->prompt_tokens, 120u);

  auto only_question = choose_window(state, 60 + 20, 20, count);
  ASSERT_TRUE(only_question);
  EXPECT_EQ(only_question->first_message, 9u);
  EXPECT_EQ(only_question->dropped_turns, 3);

  EXPECT_FALSE(choose_window(state, 59 + 20, 20, count));  // not even the question fits

  // The window never moves back: from a later start, only later turns are candidates.
  state.first_message = 6;
  auto later = choose_window(state, 1000, 20, count);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->first_message, 6u);
  EXPECT_EQ(later->dropped_turns, 0);
}

TEST(ContextPolicyTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(replace_invalid_utf8("plain"), "plain");
  EXPECT_EQ(replace_invalid_utf8("caf\xC3\xA9 \xF0\x9F\x8C\xA7"),
            "caf\xC3\xA9 \xF0\x9F\x8C\xA7");  // valid stays
  EXPECT_EQ(replace_invalid_utf8("a\xFF"
                                 "b"),
            "a" + fffd + "b");
  EXPECT_EQ(replace_invalid_utf8("\xE2\x82"), fffd);                    // truncated sequence: one U+FFFD
  EXPECT_EQ(replace_invalid_utf8("\xC0\xAF"), fffd + fffd);             // overlong: both bytes invalid
  EXPECT_EQ(replace_invalid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(replace_invalid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
  EXPECT_EQ(replace_invalid_utf8("\x80x"), fffd + "x");
}

}  // namespace
}  // namespace gptoss::chat

namespace gptoss::chat {
namespace {

TEST(ContextPolicyTest, InstructionsWithInvalidUtf8AreRepairedInTheDeveloperMessage) {
  SessionState state;
  state.settings.instructions = "Be brief\xFF";
  sync_headers(state, "2026-11-23");
  ASSERT_TRUE(state.conversation.developer && state.conversation.developer->instructions);
  EXPECT_EQ(*state.conversation.developer->instructions, "Be brief\xEF\xBF\xBD");
  EXPECT_EQ(state.settings.instructions, "Be brief\xFF");  // the setting itself is the caller's
}

}  // namespace
}  // namespace gptoss::chat
