// A checkpoint changed while the program runs: truncated (reads past the new end raise SIGBUS,
// which used to kill the process without a word) or overwritten in place (NaN logits, which used
// to be sampled as token 0 forever). Both now end the step with an error and the cache unchanged.
#include "engine/mapping_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/micro_preset.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const gptoss::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MappingGuard, AReadPastTheNewEndIsCaughtAndReadsZeros) {
  gptoss::testing::TempDir dir;
  const std::string path = dir / "three-pages";
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  {
    const std::vector<char> bytes(3 * page, 'x');
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  const int fd = ::open(path.c_str(), O_RDONLY);
  void* map = ::mmap(nullptr, 3 * page, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  ASSERT_NE(map, MAP_FAILED);
  const volatile char* bytes = static_cast<const char*>(map);
  {
    MappingGuard guard(map, 3 * page);
    MappingGuard untouched(map, page);  // a second range over the first page only
    EXPECT_EQ(bytes[2 * page], 'x');
    EXPECT_FALSE(guard.faulted());
    fs::resize_file(path, page);
    EXPECT_EQ(bytes[0], 'x');              // still in the file
    EXPECT_EQ(bytes[2 * page + 7], '\0');  // past the end: SIGBUS, caught, a page of zeros
    EXPECT_TRUE(guard.faulted());
    EXPECT_FALSE(untouched.faulted());
  }
  ::munmap(map, 3 * page);
}

class ChangedCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestModelOptions options;
    options.seed = 11;
    write_test_model(dir_.str(), micro_preset(), options);
    model_ = Model::open(dir_.str(), LoadOptions{.threads = 2});
    ASSERT_EQ(model_->info().files.size(), 1u);
    file_ = model_->info().files[0];
  }

  // The size of the safetensors header, 8 bytes of length included: the tensors start here.
  uint64_t data_start() const {
    uint8_t length[8] = {};
    const int fd = ::open(file_.c_str(), O_RDONLY);
    EXPECT_EQ(::read(fd, length, 8), 8);
    ::close(fd);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | length[i];
    return 8 + n;
  }

  gptoss::testing::TempDir dir_;
  std::shared_ptr<const Model> model_;
  std::string file_;
};

TEST_F(ChangedCheckpointTest, TruncatedWhileInUseIsAnErrorNotSigbus) {
  Context ctx(model_, ContextOptions{.max_tokens = 64});
  const std::vector<int32_t> prompt = {1, 2, 3, 4};
  ctx.prefill(prompt);
  fs::resize_file(file_, data_start() + 64);  // the tensors are gone but for 64 bytes
  EXPECT_EQ(error_of([&] { ctx.decode(5); }),
            file_ +
                ": the model file changed while in use (it is shorter than when it was opened); restart "
                "with the complete file");
  EXPECT_EQ(ctx.tokens(), prompt);  // the failed step left the cache as it was
  // Every later step says the same: the zeros it reads are not the model.
  EXPECT_NE(error_of([&] { ctx.decode(5); }).find("changed while in use"), std::string::npos);
}

TEST_F(ChangedCheckpointTest, OverwrittenInPlaceGivesNonFiniteLogitsWhichAreRefused) {
  Context ctx(model_, ContextOptions{.max_tokens = 64});
  const std::vector<int32_t> prompt = {1, 2, 3};
  ctx.prefill(prompt);
  // All tensor bytes 0xFF: every bf16 weight is NaN. MAP_PRIVATE pages not yet copied show the
  // file's new bytes, as after `cp other.safetensors model.safetensors`.
  const uint64_t start = data_start();
  const std::vector<char> ff(fs::file_size(file_) - start, '\xFF');
  const int fd = ::open(file_.c_str(), O_WRONLY);
  ASSERT_EQ(::pwrite(fd, ff.data(), ff.size(), static_cast<off_t>(start)), static_cast<ssize_t>(ff.size()));
  ::close(fd);
  const std::string error = error_of([&] { ctx.decode(4); });
  EXPECT_EQ(error.rfind(model_->info().dir + ": the model computed a non-finite logit (NaN for token id ", 0),
            0u)
      << error;
  EXPECT_NE(error.find("the checkpoint is damaged or changed while in use"), std::string::npos) << error;
  EXPECT_EQ(ctx.tokens(), prompt);
  std::vector<float> all(2 * model_->config().vocab);
  EXPECT_NE(error_of([&] {
              ctx.prefill(std::vector<int32_t>{4, 5}, all);
            }).find("non-finite"),
            std::string::npos);
}

}  // namespace
}  // namespace gptoss::engine
