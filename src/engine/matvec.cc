#include "engine/matvec.h"

#include <cblas.h>

#include <algorithm>
#include <cstddef>

#include "engine/bf16.h"
#include "engine/prefetch.h"
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

#if defined(GPTOSS_KERNEL_AVX512)
inline __m512 load_bf16x16(const uint16_t* p) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
#elif defined(GPTOSS_KERNEL_AVX2)
inline __m256 load_bf16x8(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

inline float horizontal_sum(__m256 v) {
  const __m128 four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
}
#endif

// Dot products of NR consecutive rows with x. Two accumulators per row (columns c..c+15 and
// c+16..c+31 of every 32) keep the FMA chains independent; the tail is scalar.
template <int NR>
inline void dot_rows(float* out, const Bf16Matrix& w, int r0, const float* x, const uint16_t* bias) {
  const int cols = w.cols;
  int c = 0;
  float sum[NR];
#if defined(GPTOSS_KERNEL_AVX512)
  __m512 acc0[NR], acc1[NR];
  for (int i = 0; i < NR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (; c + 32 <= cols; c += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + c);
    const __m512 x1 = _mm512_loadu_ps(x + c + 16);
    for (int i = 0; i < NR; ++i) {
      const uint16_t* wr = w.row(r0 + i) + c;
      prefetch_stream(wr);  // 32 columns = one 64-byte line
      acc0[i] = _mm512_fmadd_ps(load_bf16x16(wr), x0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(load_bf16x16(wr + 16), x1, acc1[i]);
    }
  }
  for (int i = 0; i < NR; ++i) sum[i] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[i], acc1[i]));
#elif defined(GPTOSS_KERNEL_AVX2)
  // Laptops without AVX-512: four 8-lane accumulators per 32 columns.
  __m256 acc[NR][4];
  for (int i = 0; i < NR; ++i)
    for (int a = 0; a < 4; ++a) acc[i][a] = _mm256_setzero_ps();
  for (; c + 32 <= cols; c += 32) {
    for (int i = 0; i < NR; ++i) {
      const uint16_t* wr = w.row(r0 + i) + c;
      prefetch_stream(wr);
      for (int a = 0; a < 4; ++a)
        acc[i][a] = _mm256_fmadd_ps(load_bf16x8(wr + 8 * a), _mm256_loadu_ps(x + c + 8 * a), acc[i][a]);
    }
  }
  for (int i = 0; i < NR; ++i)
    sum[i] = horizontal_sum(
        _mm256_add_ps(_mm256_add_ps(acc[i][0], acc[i][1]), _mm256_add_ps(acc[i][2], acc[i][3])));
#else
  for (int i = 0; i < NR; ++i) sum[i] = 0.0f;
#endif
  for (int i = 0; i < NR; ++i) {
    const uint16_t* wr = w.row(r0 + i);
    float tail = 0.0f;
#pragma omp simd reduction(+ : tail)
    for (int cc = c; cc < cols; ++cc) tail += bf16_to_f32(wr[cc]) * x[cc];
    out[r0 + i] = sum[i] + tail + (bias ? bf16_to_f32(bias[r0 + i]) : 0.0f);
  }
}

// One row at a time: a single weight stream, which the hardware prefetcher follows at close to
// full bandwidth (4 interleaved rows measured 14 GB/s per core from DRAM, one row 25).
constexpr int kRowsPerTask = 1;

}  // namespace

void matvec_bf16w_f32(float* out, const Bf16Matrix& w, const float* x, const uint16_t* bias, int threads) {
  const int tasks = (w.rows + kRowsPerTask - 1) / kRowsPerTask;
  // Tiny matrices (the router) are not worth waking the team.
  const bool parallel = static_cast<long>(w.rows) * w.cols >= (1 << 16);
  // Dynamic chunks of 64 rows: a thread that loses its core for a while (a busy laptop) does not
  // hold the other one at the barrier.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 64 / kRowsPerTask) if (parallel)
  for (int task = 0; task < tasks; ++task) {
    const int r0 = task * kRowsPerTask;
    if (r0 + kRowsPerTask <= w.rows) {
      dot_rows<kRowsPerTask>(out, w, r0, x, bias);
    } else {
      for (int r = r0; r < w.rows; ++r) dot_rows<1>(out, w, r, x, bias);
    }
  }
}

void matvecs_bf16w_f32(const Bf16Matvec* jobs, int count, const float* x, int threads) {
  constexpr int kChunkRows = 64;
  int chunks = 0;
  long work = 0;
  for (int i = 0; i < count; ++i) {
    chunks += (jobs[i].w.rows + kChunkRows - 1) / kChunkRows;
    work += static_cast<long>(jobs[i].w.rows) * jobs[i].w.cols;
  }
  const bool parallel = work >= (1 << 16);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (parallel)
  for (int chunk = 0; chunk < chunks; ++chunk) {
    int i = 0, first = chunk;  // find the job this chunk belongs to
    while (first >= (jobs[i].w.rows + kChunkRows - 1) / kChunkRows)
      first -= (jobs[i++].w.rows + kChunkRows - 1) / kChunkRows;
    const Bf16Matvec& job = jobs[i];
    const int r0 = first * kChunkRows, r1 = std::min(r0 + kChunkRows, job.w.rows);
    for (int r = r0; r < r1; ++r) dot_rows<1>(job.out, job.w, r, x, job.bias);
  }
}

void matmul_bf16w_f32(float* out, int out_stride, const Bf16Matrix& w, const float* x, int n,
                      const uint16_t* bias, float* tile, int threads) {
  if (n < 3) {
    for (int t = 0; t < n; ++t)
      matvec_bf16w_f32(out + static_cast<size_t>(t) * out_stride, w, x + static_cast<size_t>(t) * w.cols,
                       bias, threads);
    return;
  }
  auto widen_row = [](float* tile_row, const void* m, int r) {
    const Bf16Matrix& w = *static_cast<const Bf16Matrix*>(m);
    widen_bf16_f32(tile_row, w.row(r), w.cols);
  };
  matmul_tiles_f32(out, out_stride, w.rows, w.cols, x, n, bias, tile, threads, widen_row, &w);
}

void matmul_tiles_f32(float* out, int out_stride, int rows, int cols_, const float* x, int n,
                      const uint16_t* bias, float* tile, int threads,
                      void (*widen_row)(float* tile_row, const void* w, int r), const void* w) {
  const size_t cols = cols_;
  for (int r0 = 0; r0 < rows; r0 += kMatmulTileRows) {
    const int tr = rows - r0 < kMatmulTileRows ? rows - r0 : kMatmulTileRows;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int i = 0; i < tr; ++i) widen_row(tile + i * cols, w, r0 + i);
    // out[:, r0:r0+tr] = x [n, cols] . tile^T [cols, tr]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, tr, static_cast<int>(cols), 1.0f, x,
                static_cast<int>(cols), tile, static_cast<int>(cols), 0.0f, out + r0, out_stride);
  }
  if (bias) {
    for (int t = 0; t < n; ++t) {
      float* o = out + static_cast<size_t>(t) * out_stride;
      for (int r = 0; r < rows; ++r) o[r] += bf16_to_f32(bias[r]);
    }
  }
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
