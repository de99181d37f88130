#include "engine/matvec_q8.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>

#include "engine/bf16.h"
#include "engine/matvec.h"
#include "engine/prefetch.h"
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"
// clang-format off: inside the target region, like the code below
#include "engine/dot_u8s8.h"
// clang-format on

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

// sum_b ws[b] xs[b] (w[b] . x[b]) over `blocks` blocks of one row: the per-target body.
using DotQ8 = float (*)(const int8_t* w, const float* ws, const int8_t* xq, const float* xs, int blocks);

// Integer dot product of one block, and the scalar form of the row dot (baseline, and the odd
// last block of the SIMD bodies). |sum| <= 32 * 127 * 127 < 2^24: exact in an int and in a float.
[[maybe_unused]] inline int dot_block(const int8_t* w, const int8_t* x) {
  int sum = 0;
  for (int c = 0; c < kQ8Block; ++c) sum += static_cast<int>(w[c]) * x[c];
  return sum;
}

#if defined(GPTOSS_KERNEL_AVX512)
// Two blocks (64 bytes) per step. The u8 x s8 dot products (dot_u8s8.h) take unsigned bytes on
// one side, so the sign of x moves onto w: |x| . (w * sign x), 4 products per int32 lane, 8 lanes
// per block. kVnni picks vpdpbusd (the VNNI table) over vpmaddubsw + vpmaddwd: the same integers.
template <bool kVnni>
float dot_row_q8_avx512(const int8_t* w, const float* ws, const int8_t* xq, const float* xs, int blocks) {
  __m512 acc = _mm512_setzero_ps();
  int b = 0;
  for (; b + 2 <= blocks; b += 2) {
    const __m512i x = _mm512_loadu_si512(xq + b * kQ8Block);
    prefetch_stream(w + b * kQ8Block);  // 64 bytes: one line per step
    const __m512i wv = _mm512_loadu_si512(w + b * kQ8Block);
    const __m512i signed_w = _mm512_mask_sub_epi8(wv, _mm512_movepi8_mask(x), _mm512_setzero_si512(), wv);
    const __m512i dots = dot_u8s8<kVnni>(_mm512_setzero_si512(), _mm512_abs_epi8(x), signed_w);
    const __m512 scale =
        _mm512_insertf32x8(_mm512_set1_ps(ws[b] * xs[b]), _mm256_set1_ps(ws[b + 1] * xs[b + 1]), 1);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots), scale, acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (b < blocks) sum += ws[b] * xs[b] * static_cast<float>(dot_block(w + b * kQ8Block, xq + b * kQ8Block));
  return sum;
}

float dot_row_q8(const int8_t* w, const float* ws, const int8_t* xq, const float* xs, int blocks) {
  return dot_row_q8_avx512<false>(w, ws, xq, xs, blocks);
}
#elif defined(GPTOSS_KERNEL_AVX2)
// One block (32 bytes) per step, two accumulators. vpsignb moves the sign of x onto w (and zeroes
// w where x is 0, whose product is 0 anyway); then as the AVX-512 body.
float dot_row_q8(const int8_t* w, const float* ws, const int8_t* xq, const float* xs, int blocks) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int b = 0; b < blocks; ++b) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kQ8Block));
    if ((b & 1) == 0) prefetch_stream(w + b * kQ8Block);
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + b * kQ8Block));
    const __m256i dots =
        _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(wv, x)), ones);
    acc[b & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots), _mm256_set1_ps(ws[b] * xs[b]), acc[b & 1]);
  }
  const __m256 v = _mm256_add_ps(acc[0], acc[1]);
  const __m128 four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
}
#else
float dot_row_q8(const int8_t* w, const float* ws, const int8_t* xq, const float* xs, int blocks) {
  float sum = 0.0f;
  for (int b = 0; b < blocks; ++b)
    sum += ws[b] * xs[b] * static_cast<float>(dot_block(w + b * kQ8Block, xq + b * kQ8Block));
  return sum;
}
#endif

inline float bias_at(const uint16_t* bias, int r) { return bias ? bf16_to_f32(bias[r]) : 0.0f; }

template <DotQ8 dot>
void matvec_rows(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs, const uint16_t* bias,
                 int threads) {
  const int blocks = w.cols / kQ8Block;
  // Small matrices are not worth waking the team; dynamic chunks of 64 rows as in matvec.cc.
  const bool parallel = static_cast<long>(w.rows) * w.cols >= (1 << 16);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 64) if (parallel)
  for (int r = 0; r < w.rows; ++r) out[r] = dot(w.row(r), w.row_scales(r), xq, xs, blocks) + bias_at(bias, r);
}

// out[c] = scales[c / 32] * q[c], c < n.
void dequantize_q8(float* out, const int8_t* q, const float* scales, size_t n) {
  for (size_t b = 0; b < n / kQ8Block; ++b) {
    const float s = scales[b];
#pragma omp simd
    for (int c = 0; c < kQ8Block; ++c) out[b * kQ8Block + c] = s * q[b * kQ8Block + c];
  }
}

}  // namespace

void quantize_q8_f32(int8_t* q, float* scales, const float* x, size_t n) {
  // Adding and subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer, ties to
  // even, in two exact IEEE operations that vectorise on every target (no -ffast-math here).
  constexpr float kRound = 12582912.0f;
  for (size_t b = 0; b < n / kQ8Block; ++b) {
    const float* xb = x + b * kQ8Block;
    float amax = 0.0f;
#pragma omp simd reduction(max : amax)
    for (int c = 0; c < kQ8Block; ++c) amax = std::max(amax, std::abs(xb[c]));
    scales[b] = amax / 127.0f;
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
#pragma omp simd
    for (int c = 0; c < kQ8Block; ++c) {
      const float r = (xb[c] * inv + kRound) - kRound;
      q[b * kQ8Block + c] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
    }
  }
}

void matvec_q8w_q8(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs, const uint16_t* bias,
                   int threads) {
  matvec_rows<dot_row_q8>(out, w, xq, xs, bias, threads);
}

#if defined(GPTOSS_KERNEL_AVX512)
void matvec_q8w_q8_vnni(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs,
                        const uint16_t* bias, int threads) {
  matvec_rows<dot_row_q8_avx512<true>>(out, w, xq, xs, bias, threads);
}
#endif

void matmul_q8w_f32(float* out, int out_stride, const Q8Matrix& w, const float* x, int n,
                    const uint16_t* bias, const Q8Scratch& scratch, float* tile, int threads) {
  const size_t cols = w.cols;
  for (int t = 0; t < n; ++t)
    quantize_q8_f32(scratch.q + t * cols, scratch.scales + t * (cols / kQ8Block), x + t * cols, cols);
  if (n < 3) {
    for (int t = 0; t < n; ++t)
      matvec_q8w_q8(out + static_cast<size_t>(t) * out_stride, w, scratch.q + t * cols,
                    scratch.scales + t * (cols / kQ8Block), bias, threads);
    return;
  }
  dequantize_q8(scratch.rounded, scratch.q, scratch.scales, n * cols);
  auto widen_row = [](float* tile_row, const void* m, int r) {
    const Q8Matrix& w = *static_cast<const Q8Matrix*>(m);
    dequantize_q8(tile_row, w.row(r), w.row_scales(r), w.cols);
  };
  matmul_tiles_f32(out, out_stride, w.rows, w.cols, scratch.rounded, n, bias, tile, threads, widen_row, &w);
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
