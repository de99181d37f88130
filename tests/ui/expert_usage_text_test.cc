// /stats' expert usage lines.
#include "ui/expert_usage_text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gptoss::ui {
namespace {

// L = 2, E = 4, K = 2: layer 0 used evenly (10 picks each), layer 1 only experts 2 and 3.
chat::ExpertUsage usage() {
  chat::ExpertUsage u;
  u.layers = 2;
  u.experts = 4;
  u.experts_per_token = 2;
  u.counts = {10, 10, 10, 10, 0, 0, 15, 25};
  return u;
}

TEST(ExpertUsageTextTest, EffectiveExpertsIsTheExponentOfTheEntropy) {
  const chat::ExpertUsage u = usage();
  EXPECT_NEAR(effective_experts(u, 0), 4.0, 1e-12);
  // p = 3/8, 5/8: e^-(3/8 ln 3/8 + 5/8 ln 5/8)
  EXPECT_NEAR(effective_experts(u, 1), std::exp(-(0.375 * std::log(0.375) + 0.625 * std::log(0.625))), 1e-12);
  chat::ExpertUsage none = u;
  none.counts.assign(8, 0);
  EXPECT_EQ(effective_experts(none, 0), 0.0);
}

TEST(ExpertUsageTextTest, SummaryNamesTheMostUsedExpertPerLayer) {
  const std::string s = expert_usage_summary(usage());
  EXPECT_NE(s.find("20 tokens routed, 2 of 4 experts"), std::string::npos) << s;
  EXPECT_NE(s.find("L0  e0   25% eff  4.0"), std::string::npos) << s;  // a tie: the lowest id
  EXPECT_NE(s.find("L1  e3   62% eff  1.9"), std::string::npos) << s;
  EXPECT_EQ(expert_usage_summary({}), "");  // remote: nothing to say
  chat::ExpertUsage none = usage();
  none.counts.assign(8, 0);
  EXPECT_EQ(expert_usage_summary(none), "Expert usage: nothing routed yet.");
}

TEST(ExpertUsageTextTest, TableListsEveryCountMostPickedFirst) {
  const std::string s = expert_usage_table(usage());
  EXPECT_NE(s.find("\nL0  e0 10 e1 10 e2 10 e3 10"), std::string::npos) << s;
  EXPECT_NE(s.find("\nL1  e3 25 e2 15 e0 0 e1 0"), std::string::npos) << s;
  EXPECT_EQ(expert_usage_table({}), "");
}

}  // namespace
}  // namespace gptoss::ui
