// `generate --session` with the KV cache file through the real binary on the tiny random model:
// the second run reuses the saved cache instead of prefilling, --no-kv writes and reads none, and
// a damaged file is a one-line note followed by a normal (prefilled) answer.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "chat/session_store.h"
#include "engine/test_model.h"
#include "reference/file_bytes.h"
#include "reference/temp_dir.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;

using gptoss::testing::slurp;

struct GenerateRun {
  int exit_code = -1;
  std::string err;
  uint64_t reused = 0, prefilled = 0;  // from --stats
};

class SessionCacheCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gptoss::testing::TempDir;
    engine::TestModelOptions options;
    options.seed = 4;
    engine::write_test_model((dir_->path() / "tiny").string(), *engine::find_test_model_preset("tiny"), options);
  }
  static void TearDownTestSuite() {
    delete dir_;  // and its folder
  }
  void SetUp() override {
    sessions_ = dir_->path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(sessions_);
  }

  // generate with the session at sessions_/s.json (paths here hold no quotes or spaces).
  GenerateRun generate(const std::string& prompt, const std::string& extra = "") {
    const fs::path err = sessions_ / "stderr.txt";
    const std::string command = std::string(GPTOSS_BINARY) + " generate --model " +
                                (dir_->path() / "tiny").string() + " --prompt '" + prompt + "' --session " +
                                (sessions_ / "s.json").string() + " --max-tokens 8 --temperature 0 --stats " +
                                extra + " >/dev/null 2>" + err.string();
    const int status = std::system(command.c_str());
    GenerateRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = slurp(err);
    fs::remove(err);
    std::smatch m;
    if (std::regex_search(r.err, m, std::regex("reused (\\d+), prefilled (\\d+)"))) {
      r.reused = std::stoull(m[1]);
      r.prefilled = std::stoull(m[2]);
    }
    return r;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(sessions_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  static gptoss::testing::TempDir* dir_;
  fs::path sessions_;
};

gptoss::testing::TempDir* SessionCacheCliTest::dir_ = nullptr;

TEST_F(SessionCacheCliTest, SecondRunResumesFromTheCache) {
  const GenerateRun first = generate("Hello there");
  ASSERT_EQ(first.exit_code, 3) << first.err;  // random weights: the reply budget ends the turn
  EXPECT_EQ(first.reused, 0u);
  EXPECT_EQ(files(), (std::vector<std::string>{"s.json", "s.kv"}));  // no temp file left behind
  const GenerateRun second = generate("And again");
  ASSERT_EQ(second.exit_code, 3) << second.err;
  // The whole first prompt comes from the file; only the cut reply and the question are computed.
  EXPECT_EQ(second.reused, first.prefilled) << second.err;
  EXPECT_EQ(second.err.find("KV cache"), std::string::npos) << second.err;
}

TEST_F(SessionCacheCliTest, NoKvWritesAndReadsNone) {
  const GenerateRun first = generate("Hello there", "--no-kv");
  ASSERT_EQ(first.exit_code, 3) << first.err;
  EXPECT_EQ(files(), (std::vector<std::string>{"s.json"}));
  generate("Once more");  // now with a cache
  ASSERT_TRUE(fs::exists(sessions_ / "s.kv"));
  const GenerateRun without = generate("And again", "--no-kv");
  EXPECT_EQ(without.reused, 0u);
}

TEST_F(SessionCacheCliTest, DamagedCacheIsANoteAndAPrefill) {
  generate("Hello there");
  std::string kv = slurp(sessions_ / "s.kv");
  ASSERT_GT(kv.size(), 100u);
  kv[kv.size() / 2] ^= 0x20;
  std::ofstream(sessions_ / "s.kv", std::ios::binary | std::ios::trunc) << kv;
  const GenerateRun r = generate("And again");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.reused, 0u);
  EXPECT_NE(r.err.find("note: KV cache not used (" + (sessions_ / "s.kv").string() + ": checksum: "),
            std::string::npos)
      << r.err;
  // The answer saved a good cache again.
  EXPECT_GT(generate("Third").reused, 0u);
}

}  // namespace
}  // namespace gptoss::chat
