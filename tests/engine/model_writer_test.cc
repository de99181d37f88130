// The atomic test-model writer: a write that fails midway leaves the target as it was and no
// temporary folder; a complete write replaces a broken checkpoint. The tiny preset takes ~0.2 s.
#include "engine/model_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "engine/engine.h"

namespace fs = std::filesystem;

namespace gptoss::engine {
namespace {

class ModelWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gptoss_writer_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    preset_ = engine::find_test_model_preset("tiny");
    ASSERT_NE(preset_, nullptr);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Only the target's own entries: no ".demo.partial-*" sibling may be left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path root_;
  const TestModelPreset* preset_ = nullptr;
};

TEST_F(ModelWriterTest, InterruptedWriteLeavesNoCheckpoint) {
  const fs::path dir = root_ / "demo";
  TestModelOptions options;
  int files = 0;
  // The second file fails, as Ctrl-C or a full disk would stop the write.
  options.on_file = [&](const std::string&) {
    if (++files == 2) throw std::runtime_error("stopped");
  };
  EXPECT_THROW(write_test_model_atomically(dir.string(), *preset_, options), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(entries().empty()) << entries().front();
}

TEST_F(ModelWriterTest, CompleteWriteLoads) {
  const fs::path dir = root_ / "demo";
  write_test_model_atomically(dir.string() + "/", *preset_);
  EXPECT_EQ(entries(), std::vector<std::string>{"demo"});
  auto model = engine::Model::open(dir.string(), {});
  EXPECT_EQ(model->config().n_layers, preset_->n_layers);
}

TEST_F(ModelWriterTest, ReplacesABrokenCheckpointAndKeepsOtherFiles) {
  const fs::path dir = root_ / "demo";
  fs::create_directories(dir / "original");
  std::ofstream(dir / "config.json") << "{}";
  std::ofstream(dir / "model.safetensors") << "truncat";
  std::ofstream(dir / "original" / "model.safetensors") << "truncat";
  std::ofstream(dir / "notes.txt") << "mine";
  EXPECT_THROW(engine::Model::open(dir.string(), {}), gptoss::Error);

  write_test_model_atomically(dir.string(), *preset_);
  EXPECT_EQ(entries(), std::vector<std::string>{"demo"});
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_EQ(engine::Model::open(dir.string(), {})->config().n_layers, preset_->n_layers);
  EXPECT_EQ(engine::Model::open((dir / "original").string(), {})->config().n_layers, preset_->n_layers);
}

TEST_F(ModelWriterTest, RemovesThePartialFolderOfAKilledWrite) {
  const fs::path dir = root_ / "demo";
  // pid 2^22+1 is above Linux's pid_max limit, so no process has it.
  const fs::path stale = partial_model_dir(dir.string(), (1L << 22) + 1);
  fs::create_directories(stale);
  std::ofstream(stale / "model.safetensors") << "half";
  write_test_model_atomically(dir.string(), *preset_);
  EXPECT_EQ(entries(), std::vector<std::string>{"demo"});
}

}  // namespace
}  // namespace gptoss::engine
