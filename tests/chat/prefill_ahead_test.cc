// Pre-filling the system and developer messages while the user types (ChatSession::
// prefill_next_prompt_prefix): the first turn then computes only the user's own tokens, and its
// logits and answer are exactly those of a turn without the pre-fill (tiny random model, a fixed
// sampling seed; the turn computes the prompt's start as a batch of its own either way); a pre-fill
// cancelled early or made stale by a settings change is harmless.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chat/chat_session.h"
#include "chat/local_backend.h"
#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

class PrefillAheadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    engine::write_test_model(dir_->str(), *engine::find_test_model_preset("tiny"), {.seed = 15});
    model_ = new LocalModel(open_local_model(dir_->str(), {.threads = 2}));
    tokenizer_ = new std::shared_ptr<const tokenizer::Tokenizer>(tokenizer::Tokenizer::load_default());
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tokenizer_;
    delete dir_;
  }

  // A session on a backend of its own (an empty cache), sampling at temperature 1 from seed 7.
  static std::unique_ptr<ChatSession> fresh_session() {
    SessionState state;
    state.settings.context_tokens = 1024;
    state.settings.max_new_tokens = 12;
    state.settings.sampling.seed = 7;
    return std::make_unique<ChatSession>(std::make_shared<LocalBackend>(*model_), *tokenizer_,
                                         std::move(state), "2026-12-03");
  }

  struct Turn {
    TurnStats stats;
    std::vector<std::vector<float>> logits;  // at each sampled token
    std::vector<int32_t> cache;              // the KV cache's tokens afterwards
  };
  // Runs "Hello there" recording the logits each token is sampled from; the sampler (seeded) picks.
  static Turn run(ChatSession& session) {
    auto& backend = static_cast<LocalBackend&>(session.backend());
    Turn turn;
    Sampler sampler(session.settings().sampling);
    backend.set_token_picker([&](std::span<const float> logits) {
      turn.logits.emplace_back(logits.begin(), logits.end());
      return sampler.sample(logits);
    });
    std::atomic<bool> cancel{false};
    turn.stats = session.run_turn(
        "Hello there", [](const ChatEvent&) {}, cancel);
    turn.cache = backend.context()->tokens();
    return turn;
  }

  static void expect_same_turn(const Turn& with, const Turn& without) {
    EXPECT_EQ(with.cache, without.cache) << "a different answer";
    ASSERT_EQ(with.logits.size(), without.logits.size());
    for (size_t i = 0; i < with.logits.size(); ++i)
      ASSERT_EQ(
          std::memcmp(with.logits[i].data(), without.logits[i].data(), with.logits[i].size() * sizeof(float)),
          0)
          << "logits of token " << i << " differ";
  }

  static testing::TempDir* dir_;
  static LocalModel* model_;
  static std::shared_ptr<const tokenizer::Tokenizer>* tokenizer_;
};
testing::TempDir* PrefillAheadTest::dir_ = nullptr;
LocalModel* PrefillAheadTest::model_ = nullptr;
std::shared_ptr<const tokenizer::Tokenizer>* PrefillAheadTest::tokenizer_ = nullptr;

TEST_F(PrefillAheadTest, ThePrefixEndsWhereTheUsersTextBegins) {
  auto session = fresh_session();
  const std::vector<int32_t> prefix = session->next_prompt_prefix();
  SessionState asked = session->state();
  asked.conversation.messages.push_back(Message{.role = "user", .content = "Hello there"});
  const std::vector<int32_t> prompt = render_next_prompt(asked, **tokenizer_);
  ASSERT_LT(prefix.size(), prompt.size());
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), prompt.begin()));
  const std::string rest = (*tokenizer_)->decode({prompt.begin() + prefix.size(), prompt.end()});
  EXPECT_EQ(rest.rfind("Hello there", 0), 0u) << rest;
  EXPECT_EQ((*tokenizer_)->decode(prefix).substr((*tokenizer_)->decode(prefix).size() - 24),
            "<|start|>user<|message|>");
}

TEST_F(PrefillAheadTest, TheFirstTurnComputesOnlyTheUsersTokensWithTheSameLogitsAndAnswer) {
  auto plain = fresh_session();
  const Turn without = run(*plain);

  auto warmed = fresh_session();
  std::atomic<bool> cancel{false};
  warmed->prefill_next_prompt_prefix(cancel);
  const size_t prefix = warmed->next_prompt_prefix().size();
  EXPECT_EQ(static_cast<LocalBackend&>(warmed->backend()).cached_tokens(), prefix);
  const Turn with = run(*warmed);

  EXPECT_EQ(with.stats.tokens_reused, prefix);
  EXPECT_EQ(with.stats.tokens_prefilled + with.stats.tokens_reused, without.stats.tokens_prefilled);
  EXPECT_EQ(without.stats.tokens_reused, 0u);
  expect_same_turn(with, without);
}

// Cancelled before it started: the turn computes everything, exactly as without.
TEST_F(PrefillAheadTest, ACancelledPrefillIsHarmless) {
  auto plain = fresh_session();
  const Turn without = run(*plain);

  auto cancelled = fresh_session();
  std::atomic<bool> cancel{true};
  cancelled->prefill_next_prompt_prefix(cancel);
  EXPECT_EQ(cancelled->backend().cached_tokens(), 0u);
  const Turn with = run(*cancelled);
  EXPECT_EQ(with.stats.tokens_prefilled, without.stats.tokens_prefilled);
  expect_same_turn(with, without);
}

// Computed for other settings (/effort changed the system message while the user typed): the turn
// recomputes from where the prompts differ. The tokens that differ are now batched apart from the
// start of the system message, and a batched prefill sums in an order that depends on the batch's
// bounds, so the logits agree to float32 rounding, not bit for bit: 1e-4 of the largest logit, the
// tolerance of chat_session_test's prefix reuse (measured differences are ~1e-6 relative).
TEST_F(PrefillAheadTest, AStalePrefillIsHarmless) {
  auto plain = fresh_session();
  const Turn without = run(*plain);

  auto stale = fresh_session();
  SessionSettings high = stale->settings();
  high.effort = ReasoningEffort::kHigh;
  stale->set_settings(high);
  std::atomic<bool> cancel{false};
  stale->prefill_next_prompt_prefix(cancel);
  stale->set_settings(plain->settings());
  const Turn with = run(*stale);
  EXPECT_GT(with.stats.tokens_reused, 0u);  // the start of the system message still matched
  EXPECT_EQ(with.stats.tokens_reused + with.stats.tokens_prefilled, without.stats.tokens_prefilled);
  EXPECT_EQ(with.cache, without.cache);
  ASSERT_EQ(with.logits.size(), without.logits.size());
  for (size_t i = 0; i < with.logits.size(); ++i) {
    float scale = 0, worst = 0;
    for (size_t v = 0; v < without.logits[i].size(); ++v) {
      scale = std::max(scale, std::fabs(without.logits[i][v]));
      worst = std::max(worst, std::fabs(with.logits[i][v] - without.logits[i][v]));
    }
    EXPECT_LE(worst, 1e-4f * scale) << "token " << i;
  }
}

}  // namespace
}  // namespace gptoss::chat
