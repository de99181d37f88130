// The settings flags chat and generate share: one list, one set of limits and messages.
#include "ui/settings_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gptoss::ui {
namespace {

CliArgs parse(std::vector<std::string> words) {
  words.insert(words.begin(), "chat");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return parse_cli(static_cast<int>(argv.size()), argv.data(), with_settings_flags({{"--model", true}}));
}

std::string usage_error(const std::vector<std::string>& words) {
  chat::SessionSettings s;
  try {
    apply_settings_flags(parse(words), s);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(SettingsFlags, OverrideOnlyWhatIsGiven) {
  chat::SessionSettings s;
  s.instructions = "keep";
  s.max_new_tokens = 100;
  apply_settings_flags(
      parse({"--top-p", "0.5", "--top-k", "40", "--effort", "high", "--seed", "9", "--temperature", "0"}), s);
  EXPECT_DOUBLE_EQ(s.sampling.top_p, 0.5);
  EXPECT_EQ(s.sampling.top_k, 40);
  EXPECT_EQ(s.effort, chat::ReasoningEffort::kHigh);
  EXPECT_EQ(s.sampling.seed, 9u);
  EXPECT_DOUBLE_EQ(s.sampling.temperature, 0.0);
  EXPECT_EQ(s.instructions, "keep");
  EXPECT_EQ(s.max_new_tokens, 100);
  EXPECT_EQ(s.context_tokens, 8192);
}

TEST(SettingsFlags, OneLimitAndOneMessagePerFlag) {
  EXPECT_EQ(usage_error({"--top-p", "0"}), "--top-p takes a number in (0, 1] (found '0')");
  EXPECT_EQ(usage_error({"--effort", "extreme"}), "--effort takes low, medium or high (found 'extreme')");
  EXPECT_EQ(usage_error({"--max-tokens", "0"}),
            "--max-tokens takes a whole number from 1 to 16777216 (found '0')");
  EXPECT_EQ(usage_error({"--max-tokens", "512", "--context", "512"}),
            "--context 512 leaves no room for --max-tokens 512 tokens (expected --max-tokens below --context)");
  EXPECT_EQ(usage_error({"--context", "2048"}),  // the default budget, 2048 here
            "--context 2048 leaves no room for the default reply budget of 2048 tokens (expected --max-tokens "
            "below --context)");
  EXPECT_EQ(usage_error({"--max-tokens", "9000"}), "--max-tokens 9000 must be below the context size of 8192 tokens");
  EXPECT_EQ(usage_error({"--threads", "-1"}), "--threads takes a whole number from 0 to 1024 (found '-1')");
  EXPECT_EQ(usage_error({"--max-tokens", "4000", "--context", "8192"}), "");
}

}  // namespace
}  // namespace gptoss::ui
