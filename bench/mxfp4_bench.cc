// GB/s of the MXFP4 expert kernels at gpt-oss-20b shapes (H = I = 2880): the gate_up matvec
// (2I x H) one token at a time, as in decode, and grouped over tokens, as in prefill.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels.h"
#include "run_benchmarks.h"
#include "engine/mxfp4.h"

namespace {

using namespace gptoss::engine;

struct Expert {
  int rows, cols;
  std::vector<uint8_t> blocks, scales;
  std::vector<uint16_t> bias;
  Expert(int r, int c)
      : rows(r), cols(c), blocks(size_t(r) * c / 2), scales(size_t(r) * c / 32), bias(r, 0x3c00) {
    std::mt19937 rng(1);
    for (auto& b : blocks) b = static_cast<uint8_t>(rng());
    for (auto& s : scales) s = static_cast<uint8_t>(120 + rng() % 8);
  }
  double bytes() const { return double(blocks.size() + scales.size()); }
};

void BM_matvec_mxfp4w_f32(benchmark::State& state, const Kernels* kernels) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  // Several experts so the weights come from memory, not cache, as in decode.
  std::vector<Expert> experts;
  for (int i = 0; i < 8; ++i) experts.emplace_back(rows, cols);
  std::vector<float> x(mxfp4_split_size(cols), 0.01f), out(rows);
  size_t e = 0;
  for (auto _ : state) {
    const Expert& w = experts[e++ % experts.size()];
    kernels->matmul_mxfp4w_f32(out.data(), w.blocks.data(), w.scales.data(), w.bias.data(), rows, cols,
                               x.data(), 1, threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * experts[0].bytes()));
}

void BM_matmul_mxfp4w_f32(benchmark::State& state, const Kernels* kernels) {
  const int rows = 5760, cols = 2880, n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  Expert w(rows, cols);
  std::vector<float> x(size_t(n) * mxfp4_split_size(cols), 0.01f), out(size_t(n) * rows);
  for (auto _ : state) {
    kernels->matmul_mxfp4w_f32(out.data(), w.blocks.data(), w.scales.data(), w.bias.data(), rows, cols,
                               x.data(), n, threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * w.bytes()));
  state.counters["token_rows/s"] =
      benchmark::Counter(double(state.iterations()) * n * rows, benchmark::Counter::kIsRate);
}
}  // namespace

// Every kernel once per copy this CPU runs: BM_matvec_mxfp4w_f32/avx2/..., side by side.
int main(int argc, char** argv) {
  for (KernelTarget target : runnable_kernel_targets()) {
    const Kernels* k = &kernels_for(target);
    const std::string suffix = std::string("/") + k->name;
    benchmark::RegisterBenchmark(("BM_matvec_mxfp4w_f32" + suffix).c_str(), BM_matvec_mxfp4w_f32, k)
        ->Args({5760, 2880, 1})
        ->Args({5760, 2880, 2})
        ->Args({2880, 2880, 2})
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_matmul_mxfp4w_f32" + suffix).c_str(), BM_matmul_mxfp4w_f32, k)
        ->Args({8, 2})
        ->Args({32, 2})
        ->Args({64, 2})  // a 512-token prefill gives each of 32 experts about 64 tokens (top-4)
        ->UseRealTime();
  }
  return run_registered_benchmarks(argc, argv);
}
