// The background reader of a mapped checkpoint (cold start): it reads what a forward pass reads,
// in layer order; its progress reaches the total; it stops between two chunks when stopped or
// destroyed mid-way; and a model under a RAM budget (streaming) starts none.
#include "engine/page_warmer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/micro_preset.h"
#include "engine/ram_budget.h"
#include "engine/safetensors.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

const uint64_t kPage = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

class PageWarmerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_test_model(dir_->str(), *find_test_model_preset("tiny"), {.seed = 15});
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* PageWarmerTest::dir_ = nullptr;

uint64_t total_bytes(const std::vector<ByteRange>& ranges) {
  uint64_t n = 0;
  for (const ByteRange& r : ranges) n += r.bytes;
  return n;
}

// The tensor of `ckpt` whose bytes are exactly `r`, by name; "" if none.
std::string tensor_named_by(const Checkpoint& ckpt, const ByteRange& r) {
  for (const auto& f : ckpt.files)
    for (const TensorEntry& t : f->header().tensors())
      if (t.data == r.data && t.data_bytes == r.bytes) return t.name;
  return "";
}

// Every range is one whole tensor of the file; together they are every expert tensor (by name in
// the file's own directory, not through the weight views), each once, layer by layer in
// ascending order, with each layer's attention before its experts, and the unembedding last.
TEST_F(PageWarmerTest, ReadsWhatAForwardPassReadsInLayerOrder) {
  const auto ckpt = open_checkpoint(dir_->str());
  const int L = ckpt->config.n_layers;
  const std::vector<ByteRange> ranges = forward_read_order(ckpt->weights);
  std::vector<std::string> names;
  for (const ByteRange& r : ranges) {
    names.push_back(tensor_named_by(*ckpt, r));
    ASSERT_FALSE(names.back().empty()) << "a range that is not one tensor";
  }
  std::set<std::string> experts_in_file;
  for (const auto& f : ckpt->files)
    for (const TensorEntry& t : f->header().tensors())
      if (t.name.find(".experts.") != std::string::npos) experts_in_file.insert(t.name);
  ASSERT_EQ(experts_in_file.size(), static_cast<size_t>(L) * 6);  // gate_up and down: blocks, scales, bias
  std::set<std::string> experts_read;
  int layer = 0;
  bool experts_seen_in_layer = false;
  for (const std::string& name : names) {
    if (name == "lm_head.weight") continue;
    const std::string prefix = "model.layers.";
    ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
    const int l = std::stoi(name.substr(prefix.size()));
    const bool expert = name.find(".experts.") != std::string::npos;
    if (l != layer) {
      EXPECT_EQ(l, layer + 1) << name << ": layers out of order";
      EXPECT_TRUE(experts_seen_in_layer) << "layer " << layer << " has no experts";
      layer = l;
      experts_seen_in_layer = false;
    }
    if (expert) {
      EXPECT_TRUE(experts_read.insert(name).second) << name << " twice";
      experts_seen_in_layer = true;
    } else {
      EXPECT_FALSE(experts_seen_in_layer) << name << " after the layer's experts";
    }
  }
  EXPECT_EQ(layer, L - 1);
  EXPECT_EQ(experts_read, experts_in_file);
  EXPECT_EQ(names.back(), "lm_head.weight");
  EXPECT_EQ(std::count(names.begin(), names.end(), "model.embed_tokens.weight"), 0);
}

// Reads to the end, one page per chunk: progress ends at the total, and every page of the ranges
// is in memory. The file's pages are dropped from the page cache first where the file system
// allows it (not tmpfs), so that residency afterwards is the warmer's doing.
TEST_F(PageWarmerTest, ReadsEveryRangeAndProgressReachesTheTotal) {
  const auto ckpt = open_checkpoint(dir_->str());
  const std::vector<ByteRange> ranges = forward_read_order(ckpt->weights);
  for (const auto& f : ckpt->files) {
    const int fd = open(f->path().c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
  std::atomic<int> chunks{0};
  PageWarmer warmer(ranges, kPage, [&] { ++chunks; });
  while (warmer.progress().running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const WarmupProgress p = warmer.progress();
  EXPECT_EQ(p.bytes_total, total_bytes(ranges));
  EXPECT_EQ(p.bytes_done, p.bytes_total);
  EXPECT_GE(chunks.load(), static_cast<int>(total_bytes(ranges) / kPage));
  for (const ByteRange& r : ranges) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(r.data) & ~(kPage - 1);
    const size_t bytes = reinterpret_cast<uintptr_t>(r.data) + r.bytes - begin;
    std::vector<unsigned char> resident((bytes + kPage - 1) / kPage);
    ASSERT_EQ(mincore(reinterpret_cast<void*>(begin), bytes, resident.data()), 0);
    for (size_t i = 0; i < resident.size(); ++i) ASSERT_TRUE(resident[i] & 1) << "page " << i << " not read";
  }
}

// Blocks the warmer after its first chunk until it is told to stop, so "mid-way" is a known
// point rather than a guessed delay.
struct MidWay {
  std::promise<void> reached;
  std::atomic<int> chunks{0};
  // Set once the warmer is constructed; its thread may reach the hook before that.
  std::atomic<PageWarmer*> warmer{nullptr};
  std::function<void()> hook() {
    return [this] {
      if (++chunks == 1) {
        reached.set_value();
        PageWarmer* w = nullptr;
        while (!(w = warmer.load())) std::this_thread::yield();
        while (!w->stop_requested()) std::this_thread::yield();
      }
    };
  }
};

TEST_F(PageWarmerTest, StopEndsTheReadBetweenTwoChunks) {
  const auto ckpt = open_checkpoint(dir_->str());
  const std::vector<ByteRange> ranges = forward_read_order(ckpt->weights);
  MidWay mid;
  auto reached = mid.reached.get_future();
  PageWarmer warmer(ranges, kPage, mid.hook());
  mid.warmer = &warmer;
  reached.wait();
  warmer.stop();
  const WarmupProgress p = warmer.progress();
  EXPECT_FALSE(p.running);
  EXPECT_EQ(mid.chunks.load(), 1);
  EXPECT_LE(p.bytes_done, kPage);
  EXPECT_LT(p.bytes_done, p.bytes_total);
  warmer.stop();  // idempotent
}

TEST_F(PageWarmerTest, DestroyingItMidWayStopsTheThreadFirst) {
  auto ckpt = open_checkpoint(dir_->str());
  MidWay mid;
  auto reached = mid.reached.get_future();
  auto warmer = std::make_unique<PageWarmer>(forward_read_order(ckpt->weights), kPage, mid.hook());
  mid.warmer = warmer.get();
  reached.wait();
  warmer.reset();  // joins: the thread has ended before the mapping goes
  EXPECT_EQ(mid.chunks.load(), 1);
  ckpt.reset();
}

TEST_F(PageWarmerTest, AMappedModelWarmsInTheBackground) {
  const auto ckpt = open_checkpoint(dir_->str());
  const uint64_t expected = total_bytes(forward_read_order(ckpt->weights));
  const auto model = Model::open(dir_->str(), {.threads = 1});
  ASSERT_FALSE(model->info().streaming);
  while (model->warmup_progress().running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const WarmupProgress p = model->warmup_progress();
  EXPECT_EQ(p.bytes_total, expected);
  EXPECT_EQ(p.bytes_done, expected);
  model->stop_warmup();  // after the end: nothing to do

  LoadOptions off;
  off.threads = 1;
  off.warm_in_background = false;
  EXPECT_EQ(Model::open(dir_->str(), off)->warmup_progress().bytes_total, 0u);
}

// Under a RAM budget the experts come through the expert cache's own reads: no background read.
TEST(PageWarmer, StreamingModeStartsNone) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), TestModelOptions{});
  LoadOptions options;
  options.threads = 1;
  options.ram_budget_bytes =
      memory_needs(*open_checkpoint(dir.str()), options.context_tokens, 1).min_streaming();
  const auto model = Model::open(dir.str(), options);
  ASSERT_TRUE(model->info().streaming);
  const WarmupProgress p = model->warmup_progress();
  EXPECT_EQ(p.bytes_total, 0u);
  EXPECT_EQ(p.bytes_done, 0u);
  EXPECT_FALSE(p.running);
  model->stop_warmup();
}

}  // namespace
}  // namespace gptoss::engine
