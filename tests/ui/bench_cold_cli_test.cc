// `gpt-oss-chat bench --cold` through the real binary on a tiny random model: the --json fields
// exist and are consistent with each other and with the checkpoint (no timing is asserted: the
// page cache here is warm, and timings belong to benchmarks); flags that do not apply are usage
// errors; --help says who drops the page cache and how.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/test_model.h"
#include "reference/file_bytes.h"
#include "reference/temp_dir.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;

using gptoss::testing::slurp;

class BenchColdCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    engine::write_test_model(*dir_ / "tiny", *engine::find_test_model_preset("tiny"), {.seed = 16});
  }
  static void TearDownTestSuite() { delete dir_; }
  // Runs `gpt-oss-chat ARGS`; returns the exit code, stdout in out_, stderr in err_.
  int run(const std::string& args) {
    const std::string command =
        std::string(GPTOSS_BINARY) + " " + args + " >" + (*dir_ / "out") + " 2>" + (*dir_ / "err");
    const int status = std::system(command.c_str());
    out_ = slurp(*dir_ / "out");
    err_ = slurp(*dir_ / "err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string model() const { return "--model " + (*dir_ / "tiny"); }

  static testing::TempDir* dir_;
  std::string out_, err_;
};
testing::TempDir* BenchColdCli::dir_ = nullptr;

TEST_F(BenchColdCli, JsonReportsTimeToReadyAndToFirstToken) {
  ASSERT_EQ(run("bench --cold " + model() + " --threads 1 --json"), 0) << err_;
  const nlohmann::json j = nlohmann::json::parse(out_);
  const double ready = j.at("time_to_ready_seconds"), token = j.at("time_to_first_token_seconds");
  EXPECT_GT(ready, 0);
  EXPECT_GT(token, ready);  // the first token comes after the model is ready
  EXPECT_LE(j.at("prefill_seconds").get<double>(), token - ready);
  EXPECT_EQ(j.at("prompt"), "hi");
  EXPECT_GT(j.at("prompt_tokens").get<int>(), 10);  // "hi" with the system and developer messages
  EXPECT_EQ(j.at("mode"), "mapped");
  EXPECT_EQ(j.at("threads"), 1);
  const uint64_t total = j.at("warmup_bytes_total"), at_token = j.at("warmup_bytes_at_first_token");
  EXPECT_GT(total, 0u);  // mapped: the weights are read in the background
  EXPECT_LE(j.at("warmup_bytes_at_ready").get<uint64_t>(), at_token);
  EXPECT_LE(at_token, total);
  EXPECT_LT(total, j.at("checkpoint_bytes").get<uint64_t>());  // not the embedding
  EXPECT_TRUE(j.contains("storage_read_bytes"));
}

TEST_F(BenchColdCli, TextNamesEachFigure) {
  ASSERT_EQ(run("bench --cold " + model() + " --threads 1"), 0) << err_;
  EXPECT_NE(out_.find("time to ready"), std::string::npos) << out_;
  EXPECT_NE(out_.find("first token"), std::string::npos) << out_;
}

TEST_F(BenchColdCli, RunsAndBatchFlagsDoNotApply) {
  EXPECT_EQ(run("bench --cold " + model() + " --runs 3"), 2);
  EXPECT_NE(err_.find("--runs"), std::string::npos) << err_;
  EXPECT_EQ(run("bench --cold " + model() + " --prompt-tokens 8"), 2);
  EXPECT_NE(err_.find("--prompt-tokens"), std::string::npos) << err_;
}

TEST_F(BenchColdCli, HelpSaysTheCallerDropsThePageCache) {
  ASSERT_EQ(run("bench --help"), 0);
  EXPECT_NE(out_.find("--cold"), std::string::npos);
  EXPECT_NE(out_.find("echo 3 > /proc/sys/vm/drop_caches"), std::string::npos) << out_;
}

}  // namespace
}  // namespace gptoss::ui
