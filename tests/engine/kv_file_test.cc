// The KV cache file: a Context saved and restored continues exactly like the original (f32), or
// within bf16's rounding (bf16); every damaged, foreign or mismatched file is refused with a
// KvFileError naming its field, and the Context it was meant for stays as it was.
#include "engine/kv_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "reference/token_ids.h"

namespace gptoss::engine {
namespace {

class KvFile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (int i = 0; i < 2; ++i) {
      dirs_[i] = new testing::TempDir();
      TestModelOptions options;
      options.seed = 11 + i;  // two models of the same shape (and ModelInfo::fingerprint), other weights
      write_test_model(dirs_[i]->str(), *find_test_model_preset("tiny"), options);
      LoadOptions load;
      load.threads = 2;
      models_[i] = new std::shared_ptr<const Model>(Model::open(dirs_[i]->str(), load));
    }
  }
  static void TearDownTestSuite() {
    for (int i = 0; i < 2; ++i) {
      delete models_[i];
      delete dirs_[i];
    }
  }
  static std::shared_ptr<const Model> model(int i = 0) { return *models_[i]; }

  static std::vector<int32_t> tokens(int n, uint32_t seed) { return gptoss::testing::random_token_ids(n, seed); }
  static ContextOptions options(int max_tokens, int rewind_tokens = 4096) {
    ContextOptions o;
    o.max_tokens = max_tokens;
    o.rewind_tokens = rewind_tokens;
    return o;
  }
  static std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  static int32_t argmax(std::span<const float> x) {
    return static_cast<int32_t>(std::max_element(x.begin(), x.end()) - x.begin());
  }

  // A 200-token sequence (>> W = 4, past one 128-token prefill batch) saved in `dtype`, the
  // 30 tokens that follow it, and the sequence they make together.
  struct Saved {
    std::vector<int32_t> history, next, all;
    std::string file;
  };
  static Saved saved(KvDtype dtype) {
    Saved s;
    s.history = tokens(200, 1);
    s.next = tokens(30, 2);
    s.all = s.history;
    s.all.insert(s.all.end(), s.next.begin(), s.next.end());
    Context ctx(model(), options(512));
    ctx.prefill(s.history);
    ctx.decode(s.next[0]);  // the cache went on past the saved point: only 200 are saved
    s.file = ctx.save_kv(200, dtype);
    return s;
  }

  // Restoring `file` into a Context holding 5 other tokens fails naming `field`, and the Context
  // still holds those 5 and continues as before.
  static void expect_refused(const std::string& file, std::span<const int32_t> sequence,
                             const std::string& field, int capacity = 512) {
    Context target(model(), options(capacity));
    const auto before = tokens(5, 9);
    target.prefill(before);
    try {
      target.restore_kv(as_bytes(file), sequence, "s.kv");
      ADD_FAILURE() << "restored a file that should be refused (" << field << ")";
    } catch (const KvFileError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("s.kv: " + field + ": ", 0), 0u) << e.what();
    }
    EXPECT_EQ(target.tokens(), before);
    Context fresh(model(), options(capacity));
    fresh.prefill(before);
    const auto want = fresh.decode(3);
    const std::vector<float> want_copy(want.begin(), want.end());
    const auto got = target.decode(3);
    EXPECT_TRUE(std::equal(want_copy.begin(), want_copy.end(), got.begin())) << field;
  }

  static testing::TempDir* dirs_[2];
  static std::shared_ptr<const Model>* models_[2];
};

testing::TempDir* KvFile::dirs_[2] = {};
std::shared_ptr<const Model>* KvFile::models_[2] = {};

TEST_F(KvFile, F32RestoreContinuesBitIdentically) {
  const Saved s = saved(KvDtype::kF32);
  const size_t V = model()->config().vocab;
  Context original(model(), options(512)), restored(model(), options(512));
  original.prefill(s.history);
  ASSERT_EQ(restored.restore_kv(as_bytes(s.file), s.all, "s.kv"), 200u);
  EXPECT_EQ(restored.tokens(), s.history);
  // The next 30 tokens batched, then 10 decoded greedily: every logit equal, bit for bit.
  std::vector<float> want(s.next.size() * V), got(s.next.size() * V);
  original.prefill(s.next, want);
  restored.prefill(s.next, got);
  ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
  int32_t a = argmax(std::span<const float>(want).last(V)), b = a;
  for (int i = 0; i < 10; ++i) {
    const auto la = original.decode(a);
    a = argmax(la);
    const std::vector<float> la_copy(la.begin(), la.end());
    const auto lb = restored.decode(b);
    b = argmax(lb);
    ASSERT_EQ(std::memcmp(la_copy.data(), lb.data(), V * sizeof(float)), 0) << "decode step " << i;
  }
}

// The fast profile keeps its cache in bf16 itself: a bf16 file holds exactly those bits, so a
// restored fast Context continues bit for bit like the one that saved it.
TEST_F(KvFile, FastProfileBf16CacheRestoresBitIdentically) {
  LoadOptions load;
  load.threads = 2;
  load.precision = Precision::kFast;
  const std::shared_ptr<const Model> fast = Model::open(dirs_[0]->str(), load);
  const std::vector<int32_t> history = tokens(200, 1), next = tokens(30, 2);
  std::vector<int32_t> all = history;
  all.insert(all.end(), next.begin(), next.end());
  Context original(fast, options(512)), restored(fast, options(512));
  original.prefill(history);
  const std::string file = original.save_kv(200, KvDtype::kBf16);
  ASSERT_EQ(restored.restore_kv(as_bytes(file), all, "s.kv"), 200u);
  const size_t V = fast->config().vocab;
  std::vector<float> want(next.size() * V), got(next.size() * V);
  original.prefill(next, want);
  restored.prefill(next, got);
  EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
}

// Restored into a Context with another ring (capacity 300, rewind 8: 12 slots), prefill goes in
// batches of ring - W + 1 = 9 instead of 128, and sgemm sums in another order: the tolerance of
// decode_prefill_test (5e-5 x max(1, |logit|)) applies, far below what a misplaced position gives.
constexpr double kBatchOrderTolerance = 5e-5;

TEST_F(KvFile, RestoreIntoAnotherCapacityAndRewindOne) {
  // The ring of a sliding layer differs with capacity and rewind; positions land in their slots.
  const Saved s = saved(KvDtype::kF32);
  Context original(model(), options(512)), restored(model(), options(300, 8));
  original.prefill(s.history);
  restored.restore_kv(as_bytes(s.file), s.all, "s.kv");
  // A prompt that re-runs the last saved token (truncate by one) still finds its window.
  ASSERT_EQ(original.truncate(199), 199u);
  ASSERT_EQ(restored.truncate(199), 199u);
  const std::vector<int32_t> rest(s.all.begin() + 199, s.all.end());
  const auto want = original.prefill(rest);
  const std::vector<float> want_copy(want.begin(), want.end());
  const auto got = restored.prefill(rest);
  double magnitude = 1.0, error = 0.0;
  for (size_t i = 0; i < want_copy.size(); ++i) {
    magnitude = std::max(magnitude, std::abs(static_cast<double>(want_copy[i])));
    error = std::max(error, std::abs(static_cast<double>(got[i]) - want_copy[i]));
  }
  EXPECT_LE(error, kBatchOrderTolerance * magnitude);
}

// Tolerance for bf16 storage. Each key and value is rounded to bf16: a relative error of at most
// 2^-9 (8 significand bits). Attention is a convex mix of values, so its output moves by at most
// 2^-9 of the largest value plus what the scores move: a score q.k moves by at most 2^-9 |q||k|,
// which shifts the softmax weights by the same relative order. Through the tiny model's 3 layers
// and the unembedding, first order, logits move by a small multiple of 2^-9 ~ 2e-3 of their
// scale; measured here: 0.011 on logits up to 5.4 over 30 positions (2e-3 relative, 2^-9). 2e-2
// allows ten times that, and stays far below the O(1) change a wrong position or layer gives.
constexpr double kBf16Tolerance = 2e-2;

TEST_F(KvFile, Bf16RestoreStaysWithinRoundingAndKeepsGreedyTokens) {
  const Saved s = saved(KvDtype::kBf16);
  const size_t V = model()->config().vocab;
  Context original(model(), options(512)), restored(model(), options(512));
  original.prefill(s.history);
  restored.restore_kv(as_bytes(s.file), s.all, "s.kv");
  std::vector<float> want(s.next.size() * V), got(s.next.size() * V);
  original.prefill(s.next, want);
  restored.prefill(s.next, got);
  double magnitude = 1.0, error = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    magnitude = std::max(magnitude, std::abs(static_cast<double>(want[i])));
    error = std::max(error, std::abs(static_cast<double>(got[i]) - want[i]));
  }
  EXPECT_LE(error, kBf16Tolerance * magnitude);
  EXPECT_GT(error, 0.0);  // the values really went through bf16
  // Greedy answers: the same 20 tokens.
  int32_t a = argmax(std::span<const float>(want).last(V)), b = argmax(std::span<const float>(got).last(V));
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(a, b) << "greedy token " << i;
    a = argmax(original.decode(a));
    b = argmax(restored.decode(b));
  }
}

TEST_F(KvFile, SizeIsHeaderTokensAndKeptPositions) {
  // tiny: L = 3 (sliding, full, sliding), NKV = 2, D = 16, W = 4. 200 tokens: 200 + 4 + 4 positions.
  const Config& cfg = model()->config();
  ASSERT_EQ(cfg.n_layers, 3);
  int positions = 0;
  for (int l = 0; l < cfg.n_layers; ++l)
    positions += cfg.layer_types[l] == AttentionKind::kSliding ? std::min(200, cfg.sliding_window) : 200;
  const uint64_t row_bytes = 2ull * cfg.n_kv_heads * cfg.head_dim;  // K and V, in elements
  const uint64_t fixed = 48 + 4 * cfg.n_layers + 4 * 200 + 8;
  EXPECT_EQ(saved(KvDtype::kF32).file.size(), fixed + positions * row_bytes * 4);
  EXPECT_EQ(saved(KvDtype::kBf16).file.size(), fixed + positions * row_bytes * 2);
  Context ctx(model(), options(512));
  EXPECT_EQ(ctx.kv_file_bytes(200, KvDtype::kBf16), fixed + positions * row_bytes * 2);
}

TEST_F(KvFile, SaveRefusesWhenTheWindowIsGone) {
  Context ctx(model(), options(64, 0));  // the sliding ring holds exactly W = 4 positions
  ctx.prefill(tokens(20, 3));
  EXPECT_THROW(ctx.save_kv(10, KvDtype::kBf16), gptoss::Error);
  EXPECT_THROW(ctx.save_kv(0, KvDtype::kBf16), gptoss::Error);
  EXPECT_THROW(ctx.save_kv(21, KvDtype::kBf16), gptoss::Error);
  EXPECT_NO_THROW(ctx.save_kv(20, KvDtype::kBf16));
}

TEST_F(KvFile, TruncatedAtManyOffsetsIsRefused) {
  const Saved s = saved(KvDtype::kBf16);
  const size_t header_end = 48 + 4 * 3, tokens_end = header_end + 4 * 200;
  for (size_t cut : {size_t{0}, size_t{7}, size_t{20}, size_t{47}, size_t{55}}) {
    SCOPED_TRACE(cut);
    expect_refused(s.file.substr(0, cut), s.all, "header");
  }
  for (size_t cut : {size_t{56}, header_end, tokens_end, tokens_end + 1000, s.file.size() / 2,
                     s.file.size() - 8, s.file.size() - 1}) {
    SCOPED_TRACE(cut);
    expect_refused(s.file.substr(0, cut), s.all, "size");
  }
  expect_refused(s.file + "x", s.all, "size");
}

TEST_F(KvFile, WrongMagicVersionDtypeOrShapeIsRefused) {
  const Saved s = saved(KvDtype::kBf16);
  auto edited = [&](size_t offset, uint32_t value) {
    std::string f = s.file;
    std::memcpy(f.data() + offset, &value, 4);
    return f;
  };
  std::string magic = s.file;
  magic[0] = 'X';
  expect_refused(magic, s.all, "magic");
  expect_refused(edited(8, 2), s.all, "version");
  expect_refused(edited(8, 0), s.all, "version");
  expect_refused(edited(12, 7), s.all, "dtype");
  expect_refused(edited(24, 4), s.all, "n_layers");
  expect_refused(edited(28, 8), s.all, "n_kv_heads");
  expect_refused(edited(32, 64), s.all, "head_dim");
  expect_refused(edited(36, 128), s.all, "sliding_window");
  expect_refused(edited(40, 0), s.all, "n_tokens");
  expect_refused(edited(40, 201), s.all, "size");  // consistent header, wrong length
  std::string huge = s.file;
  const uint64_t n = uint64_t{1} << 40;  // no allocation follows from a count in the file
  std::memcpy(huge.data() + 40, &n, 8);
  expect_refused(huge, s.all, "n_tokens");
  expect_refused(s.file, s.all, "n_tokens", /*capacity=*/150);  // more than the Context holds
}

TEST_F(KvFile, AnotherModelIsRefused) {
  // Same shape, same ModelInfo::fingerprint, other weights: the sampled bytes tell them apart.
  ASSERT_EQ(model(0)->info().fingerprint, model(1)->info().fingerprint);
  EXPECT_NE(kv_fingerprint(*model(0)), kv_fingerprint(*model(1)));
  Context other(model(1), options(512));
  const auto history = tokens(200, 1);
  other.prefill(history);
  expect_refused(other.save_kv(200, KvDtype::kBf16), history, "fingerprint");
}

TEST_F(KvFile, TokensThatAreNotAPrefixAreRefused) {
  const Saved s = saved(KvDtype::kBf16);
  std::vector<int32_t> changed = s.all;
  changed[7] ^= 1;
  expect_refused(s.file, changed, "tokens");
  expect_refused(s.file, std::span(s.all).first(150), "tokens");  // the conversation is shorter
  // Exactly the saved tokens is a prefix.
  Context ctx(model(), options(512));
  EXPECT_EQ(ctx.restore_kv(as_bytes(s.file), s.history, "s.kv"), 200u);
}

TEST_F(KvFile, FlippedByteIsCaughtByTheChecksum) {
  const Saved s = saved(KvDtype::kBf16);
  const size_t tokens_at = 48 + 4 * 3;
  for (size_t at : {tokens_at + 4 * 5 + 1, tokens_at + 4 * 200 + 3, s.file.size() / 2, s.file.size() - 9,
                    s.file.size() - 1}) {
    SCOPED_TRACE(at);
    std::string f = s.file;
    f[at] ^= 0x10;
    expect_refused(f, s.all, "checksum");
  }
}

TEST_F(KvFile, ChecksummedNonsenseIsStillRefused) {
  // A file whose checksum was recomputed after editing (made, not damaged): bad token ids, a bad
  // kept count and a NaN value are each caught by their own check.
  const Saved s = saved(KvDtype::kBf16);
  auto resealed = [](std::string f, size_t offset, const void* value, size_t bytes) {
    std::memcpy(f.data() + offset, value, bytes);
    const uint64_t sum = checksum64({reinterpret_cast<const uint8_t*>(f.data()), f.size() - 8});
    std::memcpy(f.data() + f.size() - 8, &sum, 8);
    return f;
  };
  const size_t kept_at = 48, tokens_at = 48 + 4 * 3, data_at = tokens_at + 4 * 200;
  const int32_t bad_id = 201088;
  expect_refused(resealed(s.file, tokens_at + 4 * 3, &bad_id, 4), s.all, "tokens[3]");
  const uint32_t bad_kept = 5;
  expect_refused(resealed(s.file, kept_at, &bad_kept, 4), s.all, "kept[0]");
  const uint16_t nan_bf16 = 0x7fc0;
  expect_refused(resealed(s.file, data_at + 10, &nan_bf16, 2), s.all, "data");
}

TEST_F(KvFile, ChecksumChangesWithAnySingleWord) {
  std::vector<uint8_t> bytes(1003);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  const uint64_t base = checksum64(bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] ^= 0x01;
    ASSERT_NE(checksum64(bytes), base) << i;
    bytes[i] ^= 0x01;
  }
  EXPECT_NE(checksum64(std::span(bytes).first(1002)), base);
}

}  // namespace
}  // namespace gptoss::engine
