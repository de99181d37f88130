// Streaming under a RAM budget: logits bit for bit equal to the mapped path (prefill and
// decode, HF and original/, past the sliding window and the 128-token batch) with a cache of a
// few slots that must evict; the cache itself against the mapped bytes, with wrong prefetches
// and several compute threads at once; a checkpoint truncated after loading is a one-line error
// for that call and the Context stays usable.
#include "engine/expert_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/file_reader.h"
#include "engine/micro_preset.h"
#include "engine/model_impl.h"
#include "engine/ram_budget.h"
#include "engine/streamed_weights.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

std::vector<int32_t> random_tokens(int n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> out(n);
  for (auto& t : out) t = static_cast<int32_t>(rng() % vocab);
  return out;
}

// A budget holding exactly `slots` expert slots beside everything else.
LoadOptions budget_for_slots(const std::string& dir, int slots) {
  LoadOptions options;
  options.threads = 2;
  const MemoryNeeds needs = memory_needs(*open_checkpoint(dir), options.context_tokens, options.threads);
  options.ram_budget_bytes = needs.streaming_fixed() + slots * needs.slot_bytes;
  return options;
}

class Streaming : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_test_model(dir_->str(), *find_test_model_preset("tiny"), {.seed = 9});
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* Streaming::dir_ = nullptr;

// Prefill of n tokens (all logits) then decode of d more, mapped and streamed, compared with
// memcmp: the streamed experts are the same bytes at the same alignment, computed by the same
// kernels, so not one bit may differ.
void expect_identical(const std::string& dir, int slots, int n, int d, ContextStats* streamed_stats) {
  LoadOptions mapped_options;
  mapped_options.threads = 2;
  const auto mapped = Model::open(dir, mapped_options);
  const auto streamed = Model::open(dir, budget_for_slots(dir, slots));
  ASSERT_FALSE(mapped->info().streaming);
  ASSERT_TRUE(streamed->info().streaming);
  ASSERT_EQ(streamed->info().expert_slots, slots);
  const int V = mapped->config().vocab;
  const std::vector<int32_t> tokens = random_tokens(n + d, V, 3);
  Context a(mapped, {.max_tokens = 1024}), b(streamed, {.max_tokens = 1024});
  std::vector<float> la(static_cast<size_t>(n) * V), lb(la.size());
  a.prefill(std::span(tokens.data(), n), la);
  b.prefill(std::span(tokens.data(), n), lb);
  ASSERT_EQ(std::memcmp(la.data(), lb.data(), la.size() * sizeof(float)), 0) << "prefill";
  for (int i = n; i < n + d; ++i) {
    const auto x = a.decode(tokens[i]);
    const auto y = b.decode(tokens[i]);
    ASSERT_EQ(std::memcmp(x.data(), y.data(), V * sizeof(float)), 0) << "decode at " << i;
  }
  *streamed_stats = b.stats();
}

TEST_F(Streaming, HfLogitsBitIdenticalWithAFewSlots) {
  // tiny: L = 3, E = 8, K = 4, W = 4. 300 tokens: three prefill batches, far past the window.
  ContextStats s;
  expect_identical(dir_->str(), 5, 300, 40, &s);
  // Decode asks for K experts per layer and token; each prefill batch for at most E per layer.
  const uint64_t L = 3, E = 8, K = 4;
  EXPECT_GE(s.expert_requests, 40 * L * K);
  EXPECT_LE(s.expert_requests, 40 * L * K + 3 * L * E);
  const uint64_t misses = s.expert_requests - s.expert_hits;
  EXPECT_GT(misses, 5u) << "more misses than slots: slots were evicted and reused";
  EXPECT_GT(s.disk_bytes_read, 0u);
  EXPECT_GT(s.prefetch_guesses, 0u);
  EXPECT_LT(s.prefetch_right, s.prefetch_guesses) << "some guesses were wrong, and the logits still matched";
}

TEST_F(Streaming, OriginalLayoutLogitsBitIdentical) {
  ContextStats s;
  expect_identical((dir_->path() / "original").string(), 4, 140, 10, &s);
  EXPECT_GT(s.expert_requests - s.expert_hits, 4u);
}

TEST_F(Streaming, OneSlotPerExpertNeverMissesTwice) {
  // Every expert fits (L*E = 24 slots), yet the budget is below the mapped size: each expert is
  // read once, then always hit.
  ContextStats s;
  expect_identical(dir_->str(), 24, 20, 20, &s);
  EXPECT_LE(s.expert_requests - s.expert_hits, 24u);
}

// The cache against the mapping: random requests from two threads at once over 3 slots,
// with wrong guesses prefetched in between; every view handed out holds the mapped bytes.
TEST(ExpertCache, ViewsHoldTheMappedBytesUnderContention) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), {.seed = 4});
  const auto model = Model::open(dir.str(), budget_for_slots(dir.str(), 4));
  ASSERT_TRUE(model->info().streaming);
  const auto ckpt = open_checkpoint(dir.str());  // the mapping to compare with
  ExpertCache& cache = model->impl().stream->experts();
  const Config& cfg = model->config();
  const int L = cfg.n_layers, E = cfg.n_experts;
  std::atomic<int> mismatches{0};
  std::atomic<uint64_t> hits{0}, requests{0};
  auto worker = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    ExpertCounters c;
    std::vector<int> ids(E), wanted(E), taken(E);
    std::vector<ExpertView> views(E);
    for (int round = 0; round < 200; ++round) {
      const int l = static_cast<int>(rng() % L);
      // 1 or 2 distinct experts, ascending
      int n = 1 + static_cast<int>(rng() % 2);
      ids[0] = static_cast<int>(rng() % E);
      ids[1] = (ids[0] + 1 + static_cast<int>(rng() % (E - 1))) % E;
      if (n == 2 && ids[1] < ids[0]) std::swap(ids[0], ids[1]);
      cache.request(l, ids.data(), n, c);
      const int wrong = (ids[0] + 3) % E;
      cache.prefetch((l + 1) % L, &wrong, 1, c);
      std::copy(ids.begin(), ids.begin() + n, wanted.begin());
      int n_wanted = n;
      while (n_wanted > 0) {
        const int got = cache.take(l, wanted.data(), &n_wanted, taken.data(), views.data());
        for (int i = 0; i < got; ++i) {
          const ExpertView want = expert_view(ckpt->weights.layers[l], taken[i]);
          const ExpertView& v = views[i];
          const bool same =
              std::memcmp(v.mlp1.blocks, want.mlp1.blocks, want.mlp1.expert_block_bytes()) == 0 &&
              std::memcmp(v.mlp1.scales, want.mlp1.scales, want.mlp1.expert_scale_bytes()) == 0 &&
              std::memcmp(v.mlp1.bias, want.mlp1.bias, want.mlp1.rows * 2) == 0 &&
              std::memcmp(v.mlp2.blocks, want.mlp2.blocks, want.mlp2.expert_block_bytes()) == 0 &&
              std::memcmp(v.mlp2.scales, want.mlp2.scales, want.mlp2.expert_scale_bytes()) == 0 &&
              std::memcmp(v.mlp2.bias, want.mlp2.bias, want.mlp2.rows * 2) == 0 &&
              reinterpret_cast<uintptr_t>(v.mlp1.blocks) % 4096 ==
                  reinterpret_cast<uintptr_t>(want.mlp1.blocks) % 4096;
          if (!same) ++mismatches;
        }
        cache.give_back(l, taken.data(), got);
      }
    }
    hits += c.hits;
    requests += c.requests;
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_GT(requests.load() - hits.load(), 4u);  // evicted: more reads than slots
}

// Requests expert e of layer l alone, takes it and gives it back; returns whether it was held.
bool held_when_asked(ExpertCache& cache, int l, int e) {
  ExpertCounters c;
  cache.request(l, &e, 1, c);
  int wanted = e, n_wanted = 1, id = -1;
  ExpertView view;
  while (n_wanted > 0) {
    const int got = cache.take(l, &wanted, &n_wanted, &id, &view);
    cache.give_back(l, &id, got);
  }
  return c.hits == 1;
}

// GPTOSS_CACHE_POLICY, set for one scope (a benchmarking knob read by Model::open).
class ScopedPolicy {
 public:
  explicit ScopedPolicy(const char* name) { ::setenv("GPTOSS_CACHE_POLICY", name, 1); }
  ~ScopedPolicy() { ::unsetenv("GPTOSS_CACHE_POLICY"); }
};

TEST(ExpertCache, PolicyVariable) {
  EXPECT_EQ(choose_eviction_policy(""), EvictionPolicy::kLfu);
  EXPECT_EQ(choose_eviction_policy("lfu"), EvictionPolicy::kLfu);
  EXPECT_EQ(choose_eviction_policy("lru"), EvictionPolicy::kLru);
  try {
    choose_eviction_policy("mru");
    ADD_FAILURE() << "mru was accepted";
  } catch (const gptoss::Error& e) {
    EXPECT_STREQ(e.what(), "GPTOSS_CACHE_POLICY: unknown eviction policy 'mru' (expected lfu or lru)");
  }
}

// Four slots (K, the fewest a budget may give) and one layer's experts asked for one at a time:
// 0 twice, then 1, 2, 3 fill the slots and 4 needs one. LFU evicts the least used (1, the oldest
// of the ones used once) and keeps 0; LRU evicts the least recently used, 0, and keeps 1.
TEST(ExpertCache, LfuKeepsTheFrequentExpertLruTheRecentOnes) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), {.seed = 5});
  for (const char* policy : {"lfu", "lru"}) {
    SCOPED_TRACE(policy);
    ScopedPolicy scoped(policy);
    const auto model = Model::open(dir.str(), budget_for_slots(dir.str(), 4));
    ASSERT_TRUE(model->info().streaming);
    EXPECT_EQ(model->info().expert_cache_policy, policy);
    ExpertCache& cache = model->impl().stream->experts();
    ASSERT_EQ(cache.slots(), 4);
    for (int e : {0, 0, 1, 2, 3, 4}) held_when_asked(cache, 0, e);
    const bool lfu = std::string(policy) == "lfu";
    EXPECT_EQ(held_when_asked(cache, 0, 1), !lfu) << "the oldest of those asked for once";
    EXPECT_EQ(held_when_asked(cache, 0, 0), lfu) << "the expert asked for twice";  // LFU evicted 2 for 1
  }
}

// Both read paths (O_DIRECT, and pread + POSIX_FADV_DONTNEED where O_DIRECT is refused) give
// the mapped bytes at the mapped alignment modulo 4 KiB, for pieces at odd offsets and lengths.
TEST(FileReader, DirectAndBufferedReadTheMappedBytes) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), {.seed = 5});
  const auto ckpt = open_checkpoint(dir.str());
  const std::span<const uint8_t> mapped = ckpt->files[0]->bytes();
  for (const bool direct : {true, false}) {
    FileReader reader(dir / "model.safetensors", direct);
    if (direct && !reader.direct()) continue;  // a file system without O_DIRECT (tmpfs)
    std::vector<uint8_t> buffer(3 * kReadAlign + 20000);
    uint8_t* region = reinterpret_cast<uint8_t*>(
        (reinterpret_cast<uintptr_t>(buffer.data()) + kReadAlign - 1) / kReadAlign * kReadAlign);
    for (const auto& [offset, bytes] :
         {std::pair<uint64_t, uint64_t>{8, 4096}, {4095, 3}, {12345, 20000}, {mapped.size() - 777, 777}}) {
      ASSERT_LE(copy_region_bytes(bytes), buffer.size() - kReadAlign);
      const uint8_t* got = reader.read(region, offset, bytes, "piece");
      EXPECT_EQ(reinterpret_cast<uintptr_t>(got) % kReadAlign, offset % kReadAlign);
      EXPECT_EQ(std::memcmp(got, mapped.data() + offset, bytes), 0) << direct << " " << offset;
    }
    try {
      reader.read(region, mapped.size() - 10, 11, "tail");
      ADD_FAILURE() << "read past the end";
    } catch (const gptoss::Error& e) {
      EXPECT_NE(std::string(e.what()).find(": tail: file shorter than when loaded (expected 11 bytes"),
                std::string::npos)
          << e.what();
    }
  }
}

// A copy of the micro model whose file we can damage after loading.
class ReadErrors : public ::testing::Test {
 protected:
  void SetUp() override { write_test_model(dir_.str(), streamable_preset(), {.seed = 6}); }
  testing::TempDir dir_;
};

TEST_F(ReadErrors, TruncatedAfterLoadIsAnErrorForThatCallOnly) {
  const std::string file = dir_ / "model.safetensors";
  const auto model = Model::open(dir_.str(), budget_for_slots(dir_.str(), 4));
  ASSERT_TRUE(model->info().streaming);
  const int V = model->config().vocab;
  const std::vector<int32_t> tokens = random_tokens(12, V, 8);
  Context ctx(model, {.max_tokens = 256});
  ctx.prefill(std::span(tokens.data(), 6));

  // Keep the file's bytes, cut it to its header: every later read fails.
  std::string saved(std::filesystem::file_size(file), '\0');
  {
    FILE* f = std::fopen(file.c_str(), "rb");
    ASSERT_EQ(std::fread(saved.data(), 1, saved.size(), f), saved.size());
    std::fclose(f);
  }
  // First the experts go (the embedding, written first, stays), then everything.
  const auto ckpt = open_checkpoint(dir_.str());
  const TensorEntry* embed = ckpt->files[0]->header().find("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  const uint64_t after_embed = embed->data_offset + embed->data_bytes;
  for (const TensorEntry& t : ckpt->files[0]->header().tensors())
    if (t.name.find("experts") != std::string::npos) {
      ASSERT_GE(t.data_offset, after_embed) << t.name;
    }
  for (const auto& [size, tensor] : {std::pair<uint64_t, const char*>{after_embed, "mlp.experts."},
                                     std::pair<uint64_t, const char*>{4096, "model.embed_tokens.weight"}}) {
    ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(size)), 0);
    try {
      ctx.prefill(std::span(tokens.data() + 6, 6));
      FAIL() << "no error";
    } catch (const gptoss::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(file + ": ", 0), 0u) << what;
      EXPECT_NE(what.find(tensor), std::string::npos) << what;
      EXPECT_NE(what.find("file shorter than when loaded"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos);
    }
    EXPECT_EQ(ctx.size(), 6u);  // the failed call left nothing behind
  }
  EXPECT_THROW(ctx.decode(tokens[6]), gptoss::Error);
  EXPECT_EQ(ctx.size(), 6u);

  // Restored, the same Context goes on exactly like a fresh mapped one.
  {
    FILE* f = std::fopen(file.c_str(), "r+b");
    ASSERT_EQ(std::fwrite(saved.data(), 1, saved.size(), f), saved.size());
    std::fclose(f);
  }
  const auto got = ctx.prefill(std::span(tokens.data() + 6, 6));
  const std::vector<float> streamed(got.begin(), got.end());
  LoadOptions mapped_options;
  mapped_options.threads = 2;
  Context ref(Model::open(dir_.str(), mapped_options), {.max_tokens = 256});
  ref.prefill(std::span(tokens.data(), 6));  // the same batches: sgemm sums depend on the batch
  const auto want = ref.prefill(std::span(tokens.data() + 6, 6));
  EXPECT_EQ(std::memcmp(streamed.data(), want.data(), V * sizeof(float)), 0);
}

TEST_F(ReadErrors, ReplacedAfterLoadKeepsReadingTheLoadedFile) {
  const std::string file = dir_ / "model.safetensors";
  const auto model = Model::open(dir_.str(), budget_for_slots(dir_.str(), 4));
  LoadOptions mapped_options;
  mapped_options.threads = 2;
  const auto mapped = Model::open(dir_.str(), mapped_options);
  // Another model renamed over the file: the open descriptor still reads the loaded one.
  testing::TempDir other;
  write_test_model(other.str(), streamable_preset(), {.seed = 7});
  std::filesystem::rename(other / "model.safetensors", file);
  const std::vector<int32_t> tokens = random_tokens(20, model->config().vocab, 2);
  Context a(model, {.max_tokens = 64}), b(mapped, {.max_tokens = 64});
  const auto x = a.prefill(tokens);
  const std::vector<float> streamed(x.begin(), x.end());
  const auto y = b.prefill(tokens);
  EXPECT_EQ(std::memcmp(streamed.data(), y.data(), streamed.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace gptoss::engine
