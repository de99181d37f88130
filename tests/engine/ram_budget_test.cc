// The RAM budget: sizes as the user writes them, limits read from a fake /proc and /sys tree
// (cgroup v1 and v2, nested cgroups, "max"), the choice between flag, variable and detection,
// and the "too small" error raised before any weight is read.
#include "engine/ram_budget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/file_reader.h"
#include "engine/kv_cache.h"
#include "engine/micro_preset.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

constexpr uint64_t kGiB = 1ull << 30, kMiB = 1ull << 20;

TEST(RamBudget, ParsesSizes) {
  EXPECT_EQ(parse_ram_size("6G", "--ram"), 6 * kGiB);
  EXPECT_EQ(parse_ram_size("6GiB", "--ram"), 6 * kGiB);
  EXPECT_EQ(parse_ram_size("6gib", "--ram"), 6 * kGiB);
  EXPECT_EQ(parse_ram_size("6000M", "--ram"), 6000 * kMiB);
  EXPECT_EQ(parse_ram_size("6GB", "--ram"), 6000000000ull);
  EXPECT_EQ(parse_ram_size("1.5G", "--ram"), 3 * kGiB / 2);
  EXPECT_EQ(parse_ram_size("512K", "--ram"), 512 * 1024ull);
  EXPECT_EQ(parse_ram_size("8589934592", "--ram"), 8 * kGiB);
}

TEST(RamBudget, RefusesBadSizesNamingTheFlag) {
  for (const char* bad : {"", "G", "6X", "6 G", "-1G", "1.2.3G", "0"}) {
    try {
      parse_ram_size(bad, "GPT_OSS_RAM");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const gptoss::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("GPT_OSS_RAM: ", 0), 0u) << what;
      EXPECT_NE(what.find("found \"" + std::string(bad) + "\""), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos);
    }
  }
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A machine with 16 GiB, 10 GiB available, a v1 memory cgroup /a/b limited to 6 GiB (its
// parent /a to 5 GiB) and a v2 cgroup /c/d limited to 7 GiB (its parent unlimited).
void make_fake_tree(const testing::TempDir& root) {
  write(root.path() / "proc/meminfo",
        "MemTotal:       16777216 kB\nMemFree: 1 kB\nMemAvailable:   10485760 kB\n");
  write(root.path() / "proc/self/cgroup", "12:cpu,cpuacct:/x\n4:memory:/a/b\n0::/c/d\n");
  write(root.path() / "proc/self/mountinfo",
        "30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:6 - cgroup2 cgroup2 rw\n"
        "35 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:15 - cgroup cgroup rw,memory\n"
        "36 25 0:32 / /sys/fs/cgroup/cpu rw,nosuid shared:16 - cgroup cgroup rw,cpu,cpuacct\n");
  write(root.path() / "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  write(root.path() / "sys/fs/cgroup/memory/a/memory.limit_in_bytes", std::to_string(5 * kGiB) + "\n");
  write(root.path() / "sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", std::to_string(6 * kGiB) + "\n");
  write(root.path() / "sys/fs/cgroup/memory/a/b/memory.max_usage_in_bytes", "123456789\n");
  write(root.path() / "sys/fs/cgroup/unified/c/memory.max", "max\n");
  write(root.path() / "sys/fs/cgroup/unified/c/d/memory.max", std::to_string(7 * kGiB) + "\n");
}

TEST(RamBudget, ReadsLimitsFromAFakeTree) {
  testing::TempDir root;
  make_fake_tree(root);
  const MemoryLimits limits = read_memory_limits(root.str());
  EXPECT_EQ(limits.physical, 16 * kGiB);
  EXPECT_EQ(limits.mem_available, 10 * kGiB);
  EXPECT_EQ(limits.cgroup_v1, 5 * kGiB);  // the parent's limit binds
  EXPECT_EQ(limits.cgroup_v2, 7 * kGiB);
  EXPECT_EQ(cgroup_peak_bytes(root.str()), 123456789u);  // no v2 memory.peak: v1's figure
  write(root.path() / "sys/fs/cgroup/unified/c/d/memory.peak", "987654321\n");
  EXPECT_EQ(cgroup_peak_bytes(root.str()), 987654321u);
}

TEST(RamBudget, NoCgroupNoLimit) {
  testing::TempDir root;
  write(root.path() / "proc/meminfo", "MemTotal: 8388608 kB\nMemAvailable: 4194304 kB\n");
  const MemoryLimits limits = read_memory_limits(root.str());
  EXPECT_EQ(limits.cgroup_v1, 0u);
  EXPECT_EQ(limits.cgroup_v2, 0u);
  EXPECT_EQ(limits.mem_available, 4 * kGiB);
}

TEST(RamBudget, FlagThenVariableThenDetection) {
  MemoryLimits limits;
  limits.physical = 16 * kGiB;
  limits.mem_available = 10 * kGiB;
  limits.cgroup_v1 = 5 * kGiB;
  EXPECT_EQ(choose_ram_budget("4G", "3G", limits).bytes, 4 * kGiB);
  EXPECT_EQ(choose_ram_budget("", "3G", limits).bytes, 3 * kGiB);
  EXPECT_EQ(choose_ram_budget("", "3G", limits).source, "GPT_OSS_RAM");
  // Detection: the smallest (5 GiB) minus max(256 MiB, 5%) = 256 MiB.
  const RamBudget detected = choose_ram_budget("", "", limits);
  EXPECT_EQ(detected.bytes, 5 * kGiB - 256 * kMiB);
  EXPECT_NE(detected.source.find("cgroup v1"), std::string::npos) << detected.source;
  limits.cgroup_v1 = 0;  // 5% of 10 GiB = 512 MiB is more than 256 MiB
  EXPECT_EQ(choose_ram_budget("", nullptr, limits).bytes, 10 * kGiB - 10 * kGiB / 20);
  EXPECT_EQ(choose_ram_budget("", nullptr, MemoryLimits{}).bytes, 0u);
  EXPECT_THROW(choose_ram_budget("lots", nullptr, limits), gptoss::Error);
}

TEST(RamBudget, TooSmallIsOneLineWithTheMinimum) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), TestModelOptions{});
  const MemoryNeeds needs = memory_needs(*open_checkpoint(dir.str()), 8192, 2);
  ASSERT_LT(needs.min_streaming(), needs.mapped());
  LoadOptions options;
  options.threads = 2;
  options.ram_budget_bytes = needs.min_streaming() - 1;
  try {
    Model::open(dir.str(), options);
    FAIL() << "opened";
  } catch (const LoadError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ram budget: too small"), std::string::npos) << what;
    EXPECT_NE(what.find("expected at least " + format_gib(needs.min_streaming())), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  // Enough for everything: mapped, as without a budget.
  options.ram_budget_bytes = needs.mapped();
  EXPECT_FALSE(Model::open(dir.str(), options)->info().streaming);
  options.ram_budget_bytes = needs.min_streaming();
  const auto streaming = Model::open(dir.str(), options);
  EXPECT_TRUE(streaming->info().streaming);
  EXPECT_EQ(streaming->info().expert_slots, needs.min_slots);
}

// fast holds the unembedding in 8-bit blocks (36 bytes per 32 values, 64 in bf16) and the KV cache
// in bf16: the budget counts those, in both modes, and a streaming model keeps what was counted.
TEST(RamBudget, FastCountsThe8BitUnembeddingAndABf16Cache) {
  testing::TempDir dir;
  write_test_model(dir.str(), streamable_preset(), TestModelOptions{});
  const auto ckpt = open_checkpoint(dir.str());
  const MemoryNeeds exact = memory_needs(*ckpt, 8192, 2, Precision::kExact);
  const MemoryNeeds fast = memory_needs(*ckpt, 8192, 2, Precision::kFast);
  const Config& cfg = ckpt->config;
  const uint64_t V = cfg.vocab, H = cfg.hidden;
  const uint64_t unembed_bf16 = V * H * 2, unembed_q8 = V * H + V * (H / 32) * 4;  // both multiples of 64

  EXPECT_EQ(exact.kv_bytes, 2 * fast.kv_bytes);  // f32 against bf16, the same positions
  EXPECT_EQ(fast.kv_bytes, kv_cache_bytes(cfg, 8192, 4096, KvType::kBf16));
  EXPECT_EQ(exact.q8_bytes, 0u);
  EXPECT_EQ(fast.q8_bytes, unembed_q8);
  EXPECT_EQ(fast.q8_replaced, unembed_bf16);
  // Streaming copies: the bf16 unembedding (one aligned region) is replaced by the 8-bit one.
  EXPECT_EQ(exact.dense_bytes - fast.dense_bytes, copy_region_bytes(unembed_bf16) - unembed_q8);
  // Mapped: its file pages are not counted, the 8-bit copy is.
  EXPECT_EQ(exact.mapped() - fast.mapped(), unembed_bf16 - unembed_q8 + (exact.kv_bytes - fast.kv_bytes));

  // A streaming fast model holds the dense copy it was counted for, the 8-bit unembedding
  // included, and still computes: its logits equal the mapped fast model's (the same kernels on
  // the same bytes).
  LoadOptions options{.threads = 2, .precision = Precision::kFast, .ram_budget_bytes = fast.min_streaming()};
  const auto streaming = Model::open(dir.str(), options);
  ASSERT_TRUE(streaming->info().streaming);
  EXPECT_EQ(streaming->info().resident_bytes, fast.dense_bytes);
  options.ram_budget_bytes = 0;
  const auto mapped = Model::open(dir.str(), options);
  const std::vector<int32_t> ids = {1, 7, 300, 42, 5};
  Context a(streaming, {.max_tokens = 16}), b(mapped, {.max_tokens = 16});
  const auto za = a.prefill(ids);
  const std::vector<float> want(za.begin(), za.end());
  const auto zb = b.prefill(ids);
  EXPECT_EQ(want, std::vector<float>(zb.begin(), zb.end()));
}

}  // namespace
}  // namespace gptoss::engine
