// GB/s of the bf16-weight kernels at gpt-oss-20b shapes: q_proj (NH*D x H = 4096 x 2880),
// o_proj (2880 x 4096) and a slice of lm_head, one token (decode); the sgemm path for a batch.
// The 8-bit block matvec (fast's lm_head) on the same lm_head slice, int8 values and scales
// counted (36 bytes per 32 weights), each copy with and without VNNI where there is a choice.
// BM_read_bandwidth is the ceiling they are measured against: a plain sum over 1 GiB. Each
// decode benchmark cycles through copies of its matrix worth 1 GiB, so that the weights come from
// memory as in decode, not from a large last-level cache (480 MiB on the Xeon of README's figures).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels.h"
#include "engine/matvec.h"
#include "engine/matvec_q8.h"
#include "run_benchmarks.h"

namespace {

using namespace gptoss::engine;

struct Matrix {
  std::vector<uint16_t> data;
  Bf16Matrix view;
  Matrix(int rows, int cols) : data(size_t(rows) * cols) {
    std::mt19937 rng(2);
    for (auto& v : data) v = static_cast<uint16_t>(0x3c00 + rng() % 256);  // ~ 0.0078 .. 0.016
    view = {data.data(), rows, cols};
  }
};

// How many copies of a matrix of `bytes` make 1 GiB (at least 2).
size_t copies_for_1gib(double bytes) {
  return std::max<size_t>(2, static_cast<size_t>((1 << 30) / bytes) + 1);
}

void BM_matvec_bf16w_f32(benchmark::State& state, const Kernels* kernels) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  std::vector<Matrix> mats;
  for (size_t i = 0; i < copies_for_1gib(2.0 * rows * cols); ++i) mats.emplace_back(rows, cols);
  std::vector<float> x(cols, 0.5f), out(rows);
  size_t i = 0;
  for (auto _ : state) {
    const Matrix& m = mats[i++ % mats.size()];
    kernels->matvec_bf16w_f32(out.data(), m.view, x.data(), nullptr, threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * rows * cols * 2);
}

void BM_matvec_q8w_q8(benchmark::State& state, const Kernels* kernels) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  struct Q8 {
    std::vector<int8_t> q;
    std::vector<float> s;
  };
  std::vector<Q8> mats(copies_for_1gib(rows * (cols + cols / kQ8Block * 4.0)));
  std::mt19937 rng(3);
  for (Q8& m : mats) {
    m.q.resize(size_t(rows) * cols);
    for (auto& v : m.q) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    m.s.assign(size_t(rows) * cols / kQ8Block, 0.01f);
  }
  std::vector<float> x(cols, 0.5f), out(rows);
  std::vector<int8_t> xq(cols);
  std::vector<float> xs(cols / kQ8Block);
  size_t i = 0;
  for (auto _ : state) {
    const Q8& m = mats[i++ % mats.size()];
    kernels->quantize_q8_f32(xq.data(), xs.data(), x.data(), cols);
    kernels->matvec_q8w_q8(out.data(), Q8Matrix{m.q.data(), m.s.data(), rows, cols}, xq.data(), xs.data(),
                           nullptr, threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * rows * (cols + cols / kQ8Block * 4));
}

void BM_matmul_bf16w_f32(benchmark::State& state, const Kernels* kernels) {
  const int rows = 4096, cols = 2880, n = static_cast<int>(state.range(0));
  Matrix m(rows, cols);
  std::vector<float> x(size_t(n) * cols, 0.5f), out(size_t(n) * rows), tile(size_t(kMatmulTileRows) * cols);
  for (auto _ : state) {
    kernels->matmul_bf16w_f32(out.data(), rows, m.view, x.data(), n, nullptr, tile.data(), 2);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(state.iterations()) * n * rows * cols / 1e9,
                                                 benchmark::Counter::kIsRate);
}
// The machine's read bandwidth with `threads` threads: bytes/s of a vector sum over 1 GiB.
void BM_read_bandwidth(benchmark::State& state, const Kernels* kernels) {
  const int threads = static_cast<int>(state.range(0));
  const size_t n = (size_t{1} << 30) / sizeof(float);
  std::vector<float> x(n, 1.0f);
  for (auto _ : state) benchmark::DoNotOptimize(kernels->sum_f32(x.data(), n, threads));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * sizeof(float)));
}

}  // namespace

// Every kernel once per copy this CPU runs: BM_matvec_bf16w_f32/avx2/..., so the variants'
// GB/s sit side by side.
int main(int argc, char** argv) {
  for (KernelTarget target : runnable_kernel_targets()) {
    const Kernels* k = &kernels_for(target);
    const std::string suffix = std::string("/") + k->name;
    benchmark::RegisterBenchmark(("BM_read_bandwidth" + suffix).c_str(), BM_read_bandwidth, k)
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_matvec_bf16w_f32" + suffix).c_str(), BM_matvec_bf16w_f32, k)
        ->Args({4096, 2880, 1})
        ->Args({4096, 2880, 2})
        ->Args({2880, 4096, 2})
        ->Args({16384, 2880, 2})
        ->UseRealTime();
    for (bool vnni : {true, false}) {
      const Kernels* q8 = &kernels_for(target, vnni);
      if (!vnni && !k->vnni) break;  // the same table twice
      benchmark::RegisterBenchmark(("BM_matvec_q8w_q8" + suffix + (q8->vnni ? "_vnni" : "")).c_str(),
                                   BM_matvec_q8w_q8, q8)
          ->Args({16384, 2880, 2})
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(("BM_matmul_bf16w_f32" + suffix).c_str(), BM_matmul_bf16w_f32, k)
        ->Arg(64)
        ->Arg(256)
        ->UseRealTime();
  }
  return run_registered_benchmarks(argc, argv);
}
