// A turn's events drawn into the transcript: reasoning streams open and collapses when it ends,
// the answer follows, tools are shown as such, Ctrl-C keeps and marks the reply.
#include "ui/turn_view.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

using namespace std::chrono_literals;
using chat::ChatEvent;

std::string all_rows(Transcript& t) {
  t.layout(80, 1000);
  std::string out;
  for (const ScreenLine* row : t.visible()) {
    std::wstring w;
    for (const WideSpan& s : row->spans) w += s.text;
    out += wide_to_utf8(w) + "\n";
  }
  return out;
}

chat::MessageStarted started(std::optional<std::string> channel, std::optional<std::string> recipient = {}) {
  return chat::MessageStarted{"assistant", std::move(channel), std::move(recipient), std::nullopt};
}

chat::MessageFinished finished(std::string channel, std::string content, bool complete = true) {
  chat::Message m;
  m.role = "assistant";
  m.channel = channel;
  m.content = std::move(content);
  return chat::MessageFinished{m, complete};
}

chat::TurnFinished turn_end(chat::TurnEnd end, uint64_t generated = 10) {
  chat::TurnStats s;
  s.end = end;
  s.interrupted = end == chat::TurnEnd::kCancelled;
  s.tokens_generated = generated;
  return chat::TurnFinished{s};
}

class TurnViewTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ensure_utf8_locale()); }
  Transcript transcript;
  TurnView view{transcript};
  TurnView::Clock::time_point t0 = TurnView::Clock::now();
};

TEST_F(TurnViewTest, ReasoningStreamsThenCollapsesWhenTheAnswerStarts) {
  view.begin("gpt-oss-20b", 100);
  EXPECT_EQ(view.activity(), "reading the prompt");
  view.handle(ChatEvent{chat::PrefillFinished{0, 12, 0.1}}, t0);
  view.handle(ChatEvent{started("analysis")}, t0);
  EXPECT_EQ(view.activity(), "thinking");
  view.handle(ChatEvent{chat::TextDelta{"analysis", "Need to "}}, t0 + 1s);
  view.handle(ChatEvent{chat::TextDelta{"analysis", "add."}}, t0 + 2s);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("Thinking"), std::string::npos) << rows;
  EXPECT_NE(rows.find("Need to add."), std::string::npos) << rows;  // visible while it streams

  view.handle(ChatEvent{finished("analysis", "Need to add.")}, t0 + 12s);
  view.handle(ChatEvent{started("final")}, t0 + 12s);
  EXPECT_EQ(view.activity(), "answering");
  view.handle(ChatEvent{chat::TextDelta{"final", "It is **4**."}}, t0 + 13s);
  rows = all_rows(transcript);
  EXPECT_NE(rows.find("Thought for 12 s, 2 tokens"), std::string::npos) << rows;
  EXPECT_EQ(rows.find("Need to add."), std::string::npos) << "collapsed once the answer starts:\n" << rows;
  EXPECT_NE(rows.find("It is 4."), std::string::npos) << rows;

  transcript.set_show_reasoning(true);  // Ctrl-T / /think
  rows = all_rows(transcript);
  EXPECT_NE(rows.find("Need to add."), std::string::npos) << rows;

  view.handle(ChatEvent{finished("final", "It is **4**.")}, t0 + 13s);
  view.handle(ChatEvent{turn_end(chat::TurnEnd::kAnswered)}, t0 + 13s);
  view.end(t0 + 13s);
  EXPECT_EQ(view.activity(), "");
  ASSERT_TRUE(view.last_stats());
  EXPECT_EQ(view.last_stats()->end, chat::TurnEnd::kAnswered);
}

TEST_F(TurnViewTest, ToolCallAndResultAreShownAsSuch) {
  view.begin("gpt-oss-20b", 100);
  view.handle(ChatEvent{started("commentary", std::string("functions.get_weather"))}, t0);
  view.handle(ChatEvent{chat::TextDelta{"commentary", "{\"city\":\"Oslo\"}"}}, t0);
  view.handle(ChatEvent{finished("commentary", "{\"city\":\"Oslo\"}")}, t0);
  view.handle(ChatEvent{chat::ToolCalled{{"functions.get_weather", "commentary", std::nullopt, "{}"}, false}}, t0);
  EXPECT_EQ(view.activity(), "no tool functions.get_weather");
  chat::Message result;
  result.role = "tool";
  result.name = "functions.get_weather";
  result.content = "not available";
  view.handle(ChatEvent{chat::ToolAnswered{result}}, t0);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("tool call \u2192 functions.get_weather"), std::string::npos) << rows;
  EXPECT_NE(rows.find("{\"city\":\"Oslo\"}"), std::string::npos) << rows;
  EXPECT_NE(rows.find("result from functions.get_weather"), std::string::npos) << rows;
  EXPECT_NE(rows.find("not available"), std::string::npos) << rows;
}

TEST_F(TurnViewTest, InterruptedReplyIsKeptAndMarked) {
  view.begin("gpt-oss-20b", 100);
  view.handle(ChatEvent{started("final")}, t0);
  view.handle(ChatEvent{chat::TextDelta{"final", "The first half"}}, t0);
  view.handle(ChatEvent{finished("final", "The first half", false)}, t0);
  view.handle(ChatEvent{turn_end(chat::TurnEnd::kCancelled)}, t0);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("The first half"), std::string::npos) << rows;
  EXPECT_NE(rows.find("interrupted"), std::string::npos) << rows;
}

TEST_F(TurnViewTest, InterruptedWhileThinking) {
  view.begin("gpt-oss-20b", 100);
  view.handle(ChatEvent{started("analysis")}, t0);
  view.handle(ChatEvent{chat::TextDelta{"analysis", "hmm"}}, t0 + 3s);
  view.handle(ChatEvent{turn_end(chat::TurnEnd::kCancelled)}, t0 + 3s);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("Thought for 3 s, 1 token (interrupted)"), std::string::npos) << rows;
}

TEST_F(TurnViewTest, UnstructuredOutputWithoutMarkupAndTheBudget) {
  view.begin("demo (random weights)", 64);
  // Random weights: text with no channel, a special token's string among it.
  view.handle(ChatEvent{started(std::nullopt)}, t0);
  view.handle(ChatEvent{chat::TextDelta{std::nullopt, "gibber<|reserved_200099|>ish"}}, t0);
  view.handle(ChatEvent{turn_end(chat::TurnEnd::kBudgetExhausted, 64)}, t0);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("gibber ish"), std::string::npos) << rows;
  EXPECT_EQ(rows.find("<|"), std::string::npos) << rows;
  EXPECT_NE(rows.find("limit of 64 tokens"), std::string::npos) << rows;
}

TEST_F(TurnViewTest, NothingReadableSaysSo) {
  view.begin("demo (random weights)", 64);
  view.handle(ChatEvent{turn_end(chat::TurnEnd::kBudgetExhausted, 64)}, t0);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("no readable reply"), std::string::npos) << rows;
  EXPECT_EQ(rows.find("limit of"), std::string::npos) << rows;
}

TEST_F(TurnViewTest, MessageThatDidNotStreamIsShown) {
  view.begin("m", 64);
  view.handle(ChatEvent{finished("commentary", "preamble text")}, t0);
  std::string rows = all_rows(transcript);
  EXPECT_NE(rows.find("[commentary]"), std::string::npos) << rows;
  EXPECT_NE(rows.find("preamble text"), std::string::npos) << rows;
}

TEST(TurnEnd, DescribedInWords) {
  for (chat::TurnEnd end :
       {chat::TurnEnd::kAnswered, chat::TurnEnd::kBudgetExhausted, chat::TurnEnd::kCancelled,
        chat::TurnEnd::kToolRoundsExhausted, chat::TurnEnd::kContextFull}) {
    const std::string words = describe_end(end);
    EXPECT_EQ(words.find('_'), std::string::npos) << words;
    EXPECT_NE(words, "unknown");
  }
  EXPECT_EQ(describe_end(chat::TurnEnd::kBudgetExhausted), "the reply budget ran out");
}

}  // namespace
}  // namespace gptoss::ui
