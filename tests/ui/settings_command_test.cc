// "/set NAME VALUE": each setting, the listing, and a one-line refusal for anything wrong.
#include "ui/settings_command.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

TEST(SetCommand, EachSettingChanges) {
  const chat::SessionSettings base;
  EXPECT_EQ(apply_set(base, "max-tokens 4096").settings->max_new_tokens, 4096);
  EXPECT_EQ(apply_set(base, "temperature 0.7").settings->sampling.temperature, 0.7);
  EXPECT_EQ(apply_set(base, "top-p 0.9").settings->sampling.top_p, 0.9);
  EXPECT_EQ(apply_set(base, "top-k 40").settings->sampling.top_k, 40);
  EXPECT_EQ(apply_set(base, "context 16384").settings->context_tokens, 16384);
  EXPECT_EQ(apply_set(base, "effort high").settings->effort, chat::ReasoningEffort::kHigh);
  SetResult r = apply_set(base, "temperature   0");
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->sampling.temperature, 0.0);
  EXPECT_EQ(r.message, "temperature 0, from the next answer.");
}

TEST(SetCommand, BadValuesAreRefusedWithTheReason) {
  const chat::SessionSettings base;
  for (const char* bad : {"max-tokens 0", "max-tokens 12x", "top-p 0", "top-p 1.5", "temperature -1",
                          "top-k -3", "context", "effort extreme", "colour red"}) {
    SetResult r = apply_set(base, bad);
    EXPECT_FALSE(r.settings) << bad;
    EXPECT_EQ(r.message.find('\n'), std::string::npos) << bad;
    EXPECT_NE(r.message.find("/set"), std::string::npos) << bad << ": " << r.message;
  }
  EXPECT_NE(apply_set(base, "colour red").message.find("unknown setting 'colour'"), std::string::npos);
}

TEST(SetCommand, ListingShowsTheValues) {
  chat::SessionSettings s;
  s.max_new_tokens = 123;
  s.sampling.top_p = 0.5;
  const std::string text = describe_settings(s);
  EXPECT_NE(text.find("max-tokens   123"), std::string::npos) << text;
  EXPECT_NE(text.find("top-p        0.5"), std::string::npos) << text;
}

}  // namespace
}  // namespace gptoss::ui
