// `gpt-oss-chat inspect` through the real binary on a tiny random model: the JSON's shapes, the
// layer selection, the .npy arrays, and the logit lens at the last layer against the `logits`
// command's own output (a separate path through the engine). The numbers themselves are checked
// against the independent reference in tests/engine/inspect_test.cc.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/test_model.h"
#include "reference/file_bytes.h"
#include "reference/temp_dir.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;

using gptoss::testing::slurp;

// A float32 .npy read back by hand: the header's shape and the data after it.
struct Npy {
  std::string header;
  std::vector<float> data;
};
Npy read_npy(const fs::path& p) {
  const std::string bytes = slurp(p);
  Npy out;
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return out;
  const size_t len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  out.header = bytes.substr(10, len);
  out.data.resize((bytes.size() - 10 - len) / sizeof(float));
  std::memcpy(out.data.data(), bytes.data() + 10 + len, out.data.size() * sizeof(float));
  return out;
}

class InspectCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gptoss::testing::TempDir;
    engine::write_test_model((dir_->path() / "tiny").string(), *engine::find_test_model_preset("tiny"), {.seed = 8});
  }
  static void TearDownTestSuite() {
    delete dir_;  // and its folder
  }
  // Runs `gpt-oss-chat ARGS` (a shell-safe string); returns the exit code, stdout in out_, stderr in err_.
  int run(const std::string& args) {
    const std::string command = std::string(GPTOSS_BINARY) + " " + args + " >" + (dir_->path() / "out").string() +
                                " 2>" + (dir_->path() / "err").string();
    const int status = std::system(command.c_str());
    out_ = slurp(dir_->path() / "out");
    err_ = slurp(dir_->path() / "err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string model() const { return "--model " + (dir_->path() / "tiny").string(); }

  static gptoss::testing::TempDir* dir_;
  std::string out_, err_;
};
gptoss::testing::TempDir* InspectCli::dir_ = nullptr;

TEST_F(InspectCli, JsonHasEveryPartWithItsShape) {
  ASSERT_EQ(run("inspect " + model() + " --tokens 5,6,7,8,9 --positions all --top 3"), 0) << err_;
  const nlohmann::json j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["tokens"], nlohmann::json({5, 6, 7, 8, 9}));
  EXPECT_EQ(j["pieces"].size(), 5u);
  const int L = j["model"]["layers"], K = j["model"]["experts_per_token"], E = j["model"]["experts"];
  const int NH = j["model"]["heads"];
  ASSERT_EQ(j["layers"].size(), static_cast<size_t>(L));
  ASSERT_EQ(j["routing"]["experts"].size(), 5u);
  for (const auto& token : j["routing"]["experts"]) {
    ASSERT_EQ(token.size(), static_cast<size_t>(L));
    for (const auto& layer : token) {
      ASSERT_EQ(layer.size(), static_cast<size_t>(K));
      for (int e : layer) EXPECT_TRUE(e >= 0 && e < E);
    }
  }
  for (const auto& token : j["routing"]["weights"])
    for (const auto& layer : token) {
      double sum = 0;
      for (double w : layer) sum += w;
      EXPECT_NEAR(sum, 1.0, 1e-5);  // a softmax over the K picks
    }
  for (const auto& token : j["sinks"])
    for (const auto& layer : token) {
      ASSERT_EQ(layer.size(), static_cast<size_t>(NH));
      for (double s : layer) EXPECT_TRUE(s >= 0 && s <= 1);
    }
  ASSERT_EQ(j["lens"].size(), 5u);
  EXPECT_EQ(j["lens"][4]["position"], 4);
  EXPECT_EQ(j["lens"][4]["layers"][0]["ids"].size(), 3u);
}

TEST_F(InspectCli, LensAtTheLastLayerAgreesWithTheLogitsCommand) {
  ASSERT_EQ(run("inspect " + model() + " --tokens 11,12,13,14 --top 2"), 0) << err_;
  const nlohmann::json j = nlohmann::json::parse(out_);
  const nlohmann::json& last = j["lens"][0]["layers"].back();
  const fs::path npy = dir_->path() / "logits.npy";
  ASSERT_EQ(run("logits " + model() + " --tokens 11,12,13,14 --out " + npy.string()), 0) << err_;
  const Npy logits = read_npy(npy);
  const size_t V = j["model"]["vocab"];
  ASSERT_EQ(logits.data.size(), 4 * V);
  const float* row = logits.data.data() + 3 * V;
  size_t best = 0;
  for (size_t v = 1; v < V; ++v)
    if (row[v] > row[best]) best = v;
  EXPECT_EQ(last["ids"][0], best);
  // Same residual, same kernels, batch-size blocking aside: 1e-5 of the logit.
  EXPECT_NEAR(last["logits"][0].get<double>(), row[best], 1e-5 * std::max(1.0f, std::fabs(row[best])));
}

TEST_F(InspectCli, LayerSelectionPicksThoseLayers) {
  ASSERT_EQ(run("inspect " + model() + " --tokens 3,4,5 --what routing"), 0) << err_;
  const nlohmann::json all = nlohmann::json::parse(out_);
  ASSERT_EQ(run("inspect " + model() + " --tokens 3,4,5 --what routing --layers 2,0"), 0) << err_;
  const nlohmann::json some = nlohmann::json::parse(out_);
  EXPECT_EQ(some["layers"], nlohmann::json({0, 2}));  // ascending, whatever the order given
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(some["routing"]["experts"][t][0], all["routing"]["experts"][t][0]);
    EXPECT_EQ(some["routing"]["experts"][t][1], all["routing"]["experts"][t][2]);
  }
  EXPECT_FALSE(some.contains("sinks"));
  EXPECT_FALSE(some.contains("lens"));
}

TEST_F(InspectCli, ArraysGoToNpyFilesBesideTheJson) {
  const fs::path out = dir_->path() / "run.json";
  ASSERT_EQ(
      run("inspect " + model() + " --tokens 1,2,3 --what resid,router --layers 1 --out " + out.string()), 0)
      << err_;
  const nlohmann::json j = nlohmann::json::parse(slurp(out));
  const int H = j["model"]["hidden"], E = j["model"]["experts"];
  EXPECT_EQ(j["resid"]["shape"], nlohmann::json({3, 1, H}));
  EXPECT_EQ(j["router_logits"]["shape"], nlohmann::json({3, 1, E}));
  const Npy resid = read_npy(dir_->path() / "run.resid.npy");
  EXPECT_NE(resid.header.find("'shape': (3, 1, " + std::to_string(H) + ")"), std::string::npos)
      << resid.header;
  ASSERT_EQ(resid.data.size(), static_cast<size_t>(3 * H));
  const Npy router = read_npy(dir_->path() / "run.router.npy");
  ASSERT_EQ(router.data.size(), static_cast<size_t>(3 * E));
  // The picked experts are the router's K largest logits.
  ASSERT_EQ(run("inspect " + model() + " --tokens 1,2,3 --what routing --layers 1"), 0) << err_;
  const nlohmann::json routing = nlohmann::json::parse(out_);
  for (int t = 0; t < 3; ++t) {
    const float* r = router.data.data() + t * E;
    const int top = routing["routing"]["experts"][t][0][0];
    for (int e = 0; e < E; ++e) EXPECT_LE(r[e], r[top]);
  }
}

TEST_F(InspectCli, PromptIsRenderedAsTheChatWould) {
  ASSERT_EQ(run("inspect " + model() + " --prompt 'Hello there' --what routing"), 0) << err_;
  const nlohmann::json j = nlohmann::json::parse(out_);
  const auto& pieces = j["pieces"];
  ASSERT_GE(pieces.size(), 4u);
  EXPECT_EQ(pieces[0], "<|start|>");
  EXPECT_EQ(pieces[pieces.size() - 2], "<|start|>");
  EXPECT_EQ(pieces.back(), "assistant");
}

TEST_F(InspectCli, BadInputIsAUsageErrorNamingTheFlag) {
  EXPECT_EQ(run("inspect " + model() + " --tokens 1 --what everything"), 2);
  EXPECT_NE(err_.find("--what: unknown part 'everything'"), std::string::npos) << err_;
  EXPECT_EQ(run("inspect " + model() + " --tokens 1 --layers 3"), 2);  // tiny has layers 0..2
  EXPECT_NE(err_.find("--layers: '3' is not in 0..2"), std::string::npos) << err_;
  EXPECT_EQ(run("inspect " + model() + " --tokens 1,2 --positions 2"), 2);
  EXPECT_NE(err_.find("--positions"), std::string::npos) << err_;
  EXPECT_EQ(run("inspect " + model() + " --tokens 1 --what resid"), 2);
  EXPECT_NE(err_.find("--out"), std::string::npos) << err_;
  EXPECT_EQ(run("inspect " + model() + " --tokens 1 --prompt hi"), 2);
  EXPECT_EQ(run("inspect " + model() + " --tokens 1,x"), 2);
  EXPECT_EQ(run("inspect --model " + (dir_->path() / "missing").string() + " --tokens 1"), 1);
  EXPECT_NE(err_.find("missing"), std::string::npos) << err_;
}

}  // namespace
}  // namespace gptoss::ui
