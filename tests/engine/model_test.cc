// Model::open's progress report: the loading screen draws these stages in order, each ending at 1.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/micro_preset.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

TEST(Model, ProgressReportsMappingValidatingWarmingInOrder) {
  gptoss::testing::TempDir dir;
  write_test_model(dir.str(), micro_preset(), TestModelOptions{});
  std::vector<LoadProgress> seen;
  LoadOptions options;
  options.threads = 1;
  options.on_progress = [&](const LoadProgress& p) { seen.push_back(p); };
  auto model = Model::open(dir.str(), options);
  ASSERT_FALSE(seen.empty());

  std::vector<std::string> stages;  // distinct stages, in the order they first appear
  for (const LoadProgress& p : seen) {
    if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
    EXPECT_GE(p.fraction, 0.0);
    EXPECT_LE(p.fraction, 1.0);
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"mapping", "validating", "warming"}));
  EXPECT_EQ(seen.back().stage, "warming");
  EXPECT_DOUBLE_EQ(seen.back().fraction, 1.0);
  for (size_t i = 1; i < seen.size(); ++i) {  // never goes backwards within a stage
    if (seen[i].stage == seen[i - 1].stage) {
      EXPECT_GE(seen[i].fraction, seen[i - 1].fraction);
    }
  }
}

}  // namespace
}  // namespace gptoss::engine
