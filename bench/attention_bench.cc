// GB/s of decode attention at gpt-oss-20b shapes (NH = 64, NKV = 8, D = 64) on one full layer
// holding `context` positions: the keys and values read per token, per kernel variant.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "engine/kernels.h"
#include "run_benchmarks.h"

namespace {

using namespace gptoss::engine;

constexpr int kNH = 64, kNKV = 8, kD = 64;

void BM_attention_decode_f32(benchmark::State& state, const Kernels* kernels) {
  const int context = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  Config cfg;
  cfg.n_layers = 1;
  cfg.n_heads = kNH;
  cfg.n_kv_heads = kNKV;
  cfg.head_dim = kD;
  cfg.layer_types = {AttentionKind::kFull};
  KvCache cache(cfg, context, 0);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (int p = 0; p < context; ++p)
    for (int i = 0; i < kNKV * kD; ++i) cache.key(0, p)[i] = normal(rng), cache.value(0, p)[i] = normal(rng);
  cache.append(context - 1);  // the query is the last position
  std::vector<float> q(kNH * kD), out(kNH * kD), sinks(kNH, 0.5f),
      scratch(attention_scratch_floats(kNH, kD, threads));
  for (auto& x : q) x = normal(rng);
  for (auto _ : state) {
    kernels->attention_f32(out.data(), q.data(), cache, 0, context - 1, 1, sinks.data(), kNH, kNKV, kD,
                           scratch.data(), threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * context * 2 * kNKV * kD * int64_t(sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  for (KernelTarget target : runnable_kernel_targets()) {
    const Kernels* k = &kernels_for(target);
    benchmark::RegisterBenchmark((std::string("BM_attention_decode_f32/") + k->name).c_str(),
                                 BM_attention_decode_f32, k)
        ->Args({1024, 2})
        ->Args({8192, 2})
        ->Args({32768, 2})
        ->UseRealTime();
  }
  return run_registered_benchmarks(argc, argv);
}
