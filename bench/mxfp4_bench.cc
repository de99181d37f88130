// GB/s of the MXFP4 expert kernels at gpt-oss-20b shapes (H = I = 2880): the gate_up matvec
// (2I x H) one token at a time, as in decode, and grouped over tokens, as in prefill; with f32
// inputs (`exact`) and with 8-bit inputs in one and two levels (`fast`, mxfp4_q8.h). Compare the
// decode figures with matvec_bench's BM_read_bandwidth.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels.h"
#include "engine/mxfp4.h"
#include "engine/mxfp4_q8.h"
#include "run_benchmarks.h"

namespace {

using namespace gptoss::engine;

struct Expert {
  int rows, cols;
  std::vector<uint8_t> blocks, scales;
  std::vector<uint16_t> bias;
  Expert(int r, int c)
      : rows(r), cols(c), blocks(size_t(r) * c / 2), scales(size_t(r) * c / 32), bias(r, 0x3c00) {
    std::mt19937_64 rng(1);
    for (size_t i = 0; i + 8 <= blocks.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(&blocks[i], &v, 8);
    }
    for (auto& s : scales) s = static_cast<uint8_t>(120 + rng() % 8);
  }
  double bytes() const { return double(blocks.size() + scales.size()); }
};

// Experts enough for 1 GiB, so that decode reads them from memory as it does the model's, not
// from a large last-level cache (480 MiB on the Xeon these figures were taken on).
std::vector<Expert> streamed_experts(int rows, int cols) {
  std::vector<Expert> experts;
  experts.emplace_back(rows, cols);
  while (experts.size() * experts[0].bytes() < double(1 << 30)) experts.emplace_back(rows, cols);
  return experts;
}

void BM_matvec_mxfp4w_f32(benchmark::State& state, const Kernels* kernels) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const std::vector<Expert> experts = streamed_experts(rows, cols);
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
// matmul_mxfp4w_q8_rows over all rows, in 64-row chunks shared by `threads` (as moe.cc does).
void q8_matmul(const Kernels* kernels, float* out, const Expert& w, const uint8_t* xq, int levels, int n,
               int threads) {
  const int chunks = (w.rows + kMxfp4RowChunk - 1) / kMxfp4RowChunk;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int chunk = 0; chunk < chunks; ++chunk) {
    const int r0 = chunk * kMxfp4RowChunk, r1 = std::min(r0 + kMxfp4RowChunk, w.rows);
    kernels->matmul_mxfp4w_q8_rows(out, w.blocks.data(), w.scales.data(), w.bias.data(), w.rows, w.cols, xq,
                                   levels, n, r0, r1);
  }
}

std::vector<uint8_t> q8_inputs(int cols, int levels, int n) {
  const size_t stride = mxfp4_q8_input_bytes(cols, levels);
  std::vector<uint8_t> xq(stride * n);
  std::vector<float> x(cols);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (int t = 0; t < n; ++t) {
    for (auto& v : x) v = normal(rng);
    quantize_mxfp4_input_q8(xq.data() + t * stride, x.data(), cols, levels);
  }
  return xq;
}

// Args: rows, cols, threads, levels.
void BM_matvec_mxfp4w_q8(benchmark::State& state, const Kernels* kernels) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2)), levels = static_cast<int>(state.range(3));
  const std::vector<Expert> experts = streamed_experts(rows, cols);
  const std::vector<uint8_t> xq = q8_inputs(cols, levels, 1);
  std::vector<float> out(rows);
  size_t e = 0;
  for (auto _ : state) {
    q8_matmul(kernels, out.data(), experts[e++ % experts.size()], xq.data(), levels, 1, threads);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * experts[0].bytes()));
}

// Args: tokens, threads, levels.
void BM_matmul_mxfp4w_q8(benchmark::State& state, const Kernels* kernels) {
  const int rows = 5760, cols = 2880, n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1)), levels = static_cast<int>(state.range(2));
  Expert w(rows, cols);
  const std::vector<uint8_t> xq = q8_inputs(cols, levels, n);
  std::vector<float> out(size_t(n) * rows);
  for (auto _ : state) {
    q8_matmul(kernels, out.data(), w, xq.data(), levels, n, threads);
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
    // The 8-bit input kernels: the AVX-512 copy with and without VNNI.
    std::vector<const Kernels*> variants = {k};
    if (target == KernelTarget::kAvx512 && cpu_has_vnni()) variants.push_back(&kernels_for(target, false));
    for (const Kernels* v : variants) {
      const std::string name = std::string("/") + v->name + (v->vnni ? "_vnni" : "");
      benchmark::RegisterBenchmark(("BM_matvec_mxfp4w_q8" + name).c_str(), BM_matvec_mxfp4w_q8, v)
          ->Args({5760, 2880, 2, 1})
          ->Args({2880, 2880, 2, 2})  // W2: its input in two levels
          ->UseRealTime();
      benchmark::RegisterBenchmark(("BM_matmul_mxfp4w_q8" + name).c_str(), BM_matmul_mxfp4w_q8, v)
          ->Args({64, 2, 1})
          ->Args({64, 2, 2})
          ->UseRealTime();
    }
  }
  return run_registered_benchmarks(argc, argv);
}
