// Model discovery over temp folders and a fake environment: the order ($GPT_OSS_MODEL, the HF
// cache for 20b then 120b, ./gpt-oss-20b) and what counts as a model folder.
#include "ui/model_discovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace gptoss::ui {
namespace {

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gptoss_discovery_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "home");
    fs::create_directories(root_ / "cwd");
    env_["HOME"] = (root_ / "home").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  EnvLookup env() const {
    return [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  static void make_model(const fs::path& dir, bool original = false) {
    fs::path d = original ? dir / "original" : dir;
    fs::create_directories(d);
    std::ofstream(d / "config.json") << "{}";
    std::ofstream(d / "model.safetensors") << "x";
  }
  DiscoveredModel discover() const { return discover_model(env(), (root_ / "cwd").string()); }

  fs::path root_;
  std::map<std::string, std::string> env_;
};

TEST_F(DiscoveryTest, NothingFoundListsWhereItLooked) {
  DiscoveredModel d = discover();
  EXPECT_FALSE(d.dir);
  ASSERT_EQ(d.searched.size(), 5u);
  EXPECT_NE(d.searched[1].find("home/.cache/huggingface/hub/models--openai--gpt-oss-20b/snapshots"),
            std::string::npos);
  EXPECT_NE(d.searched[3].find("cwd/gpt-oss-20b"), std::string::npos);
}

TEST_F(DiscoveryTest, EnvironmentVariableWins) {
  make_model(root_ / "cwd" / "gpt-oss-20b");
  env_["GPT_OSS_MODEL"] = "/somewhere/else";
  DiscoveredModel d = discover();
  ASSERT_TRUE(d.dir);
  EXPECT_EQ(*d.dir, "/somewhere/else");
  EXPECT_EQ(d.source, "$GPT_OSS_MODEL");
}

TEST_F(DiscoveryTest, HuggingFaceCacheUnderHome) {
  fs::path snap = root_ / "home/.cache/huggingface/hub/models--openai--gpt-oss-20b/snapshots/abc123";
  make_model(snap, /*original=*/true);  // an `original/`-only download counts too
  make_model(root_ / "cwd" / "gpt-oss-20b");
  DiscoveredModel d = discover();
  ASSERT_TRUE(d.dir);
  EXPECT_EQ(*d.dir, snap.string());
  EXPECT_EQ(d.source, "Hugging Face cache");
}

TEST_F(DiscoveryTest, HfHomeAndRefsMain) {
  env_["HF_HOME"] = (root_ / "hf").string();
  fs::path repo = root_ / "hf/hub/models--openai--gpt-oss-120b";
  make_model(repo / "snapshots" / "aaa");
  make_model(repo / "snapshots" / "zzz");
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << "aaa\n";
  DiscoveredModel d = discover();
  ASSERT_TRUE(d.dir);
  EXPECT_EQ(*d.dir, (repo / "snapshots" / "aaa").string());  // refs/main beats the newest name
}

TEST_F(DiscoveryTest, EmptySnapshotIsSkipped) {
  fs::create_directories(root_ / "home/.cache/huggingface/hub/models--openai--gpt-oss-20b/snapshots/partial");
  make_model(root_ / "cwd" / "gpt-oss-20b");
  DiscoveredModel d = discover();
  ASSERT_TRUE(d.dir);
  EXPECT_EQ(*d.dir, (root_ / "cwd" / "gpt-oss-20b").string());
  EXPECT_EQ(d.source, "./gpt-oss-20b");
}

TEST_F(DiscoveryTest, LooksLikeModelNeedsConfigAndWeights) {
  fs::path d = root_ / "m";
  fs::create_directories(d);
  EXPECT_FALSE(looks_like_model(d.string()));
  std::ofstream(d / "config.json") << "{}";
  EXPECT_FALSE(looks_like_model(d.string()));
  std::ofstream(d / "model-00001-of-00002.safetensors") << "x";
  EXPECT_TRUE(looks_like_model(d.string()));
  EXPECT_FALSE(looks_like_model((root_ / "missing").string()));
}

TEST_F(DiscoveryTest, XdgFolders) {
  EXPECT_EQ(demo_model_dir(env()), (root_ / "home/.cache/gpt-oss-chat/demo-model").string());
  EXPECT_EQ(state_dir(env()), (root_ / "home/.local/state/gpt-oss-chat").string());
  env_["XDG_CACHE_HOME"] = "/xc";
  env_["XDG_STATE_HOME"] = "/xs";
  EXPECT_EQ(demo_model_dir(env()), "/xc/gpt-oss-chat/demo-model");
  EXPECT_EQ(state_dir(env()), "/xs/gpt-oss-chat");
  EXPECT_EQ(hf_hub_cache(env()), "/xc/huggingface/hub");
  env_["HF_HUB_CACHE"] = "/hub";
  EXPECT_EQ(hf_hub_cache(env()), "/hub");
}

}  // namespace
}  // namespace gptoss::ui
