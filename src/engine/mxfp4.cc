#include "engine/mxfp4.h"

#include <cmath>

#include "engine/bf16.h"
#include "engine/prefetch.h"
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

// kScaledFp4[s][c] = FP4[c] * 2^(s-127), computed in double (so 0 * 2^128 is 0, not NaN): a
// block's 16 values are one 64-byte row, fetched by one load instead of a broadcast and two
// multiplies per block.
struct ScaledFp4Table {
  alignas(64) float v[256][16];
  ScaledFp4Table() {
    for (int s = 0; s < 256; ++s)
      for (int c = 0; c < 16; ++c)
        v[s][c] = static_cast<float>(std::ldexp(static_cast<double>(kFp4[c]), s - 127));
  }
};

[[maybe_unused]] const ScaledFp4Table& scaled_fp4() {
  static const ScaledFp4Table table;  // constant after first use
  return table;
}

#if defined(GPTOSS_KERNEL_AVX512)

// One row x NT tokens. Per (row, token) the arithmetic is always the same: even blocks feed
// accumulators 0 (low nibbles) and 1 (high), odd blocks 2 and 3, in order, then one fixed
// reduction; so the batch size never changes a result. One row at a time keeps the weights a
// single stream, which the hardware prefetcher follows best.
template <int NT>
inline void mxfp4_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                       int rows, int cols, const float* x_split, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  const uint8_t* row_blocks = blocks + static_cast<size_t>(r) * cols / 2;
  const uint8_t* row_scales = scales + static_cast<size_t>(r) * nb;
  const ScaledFp4Table& table = scaled_fp4();
  __m512 acc[NT][4];
  for (int t = 0; t < NT; ++t)
    for (int a = 0; a < 4; ++a) acc[t][a] = _mm512_setzero_ps();
  // Block b's two weight vectors; accumulators a, a + 1 of every token take them.
  auto accumulate = [&](int b, int a) {
    const __m512i codes = _mm512_cvtepu8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row_blocks + b * kMxfp4BlockBytes)));
    const __m512 values = _mm512_load_ps(table.v[row_scales[b]]);
    // vpermps reads only the low 4 bits of each index: the low nibble needs no mask.
    const __m512 w_lo = _mm512_permutexvar_ps(codes, values);
    const __m512 w_hi = _mm512_permutexvar_ps(_mm512_srli_epi32(codes, 4), values);
    for (int t = 0; t < NT; ++t) {
      const float* xb = x_split + static_cast<size_t>(t0 + t) * cols + b * kMxfp4BlockCols;
      acc[t][a] = _mm512_fmadd_ps(w_lo, _mm512_loadu_ps(xb), acc[t][a]);
      acc[t][a + 1] = _mm512_fmadd_ps(w_hi, _mm512_loadu_ps(xb + 16), acc[t][a + 1]);
    }
  };
  int b = 0;
  for (; b + 2 <= nb; b += 2) {
    prefetch_stream(row_blocks + b * kMxfp4BlockBytes);  // one per 32 bytes: cheap, and simpler
    accumulate(b, 0);
    accumulate(b + 1, 2);
  }
  if (b < nb) accumulate(b, 0);
  const float bv = bias ? bf16_to_f32(bias[r]) : 0.0f;
  for (int t = 0; t < NT; ++t) {
    const __m512 sum =
        _mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][1]), _mm512_add_ps(acc[t][2], acc[t][3]));
    out[static_cast<size_t>(t0 + t) * rows + r] = _mm512_reduce_add_ps(sum) + bv;
  }
}

#elif defined(GPTOSS_KERNEL_AVX2)

// Laptops without AVX-512: the same tile with 8 lanes. A block's 16 bytes are two halves of 8;
// the 8 positive table entries are looked up with vpermps (low 3 bits of the code) and code bit
// 3 becomes the sign.
inline __m256 fp4_lookup_avx2(__m256i codes, __m256 positive) {
  const __m256 magnitude = _mm256_permutevar8x32_ps(positive, codes);
  const __m256i sign = _mm256_and_si256(_mm256_slli_epi32(codes, 28), _mm256_set1_epi32(INT32_MIN));
  return _mm256_xor_ps(magnitude, _mm256_castsi256_ps(sign));
}

inline float horizontal_sum(__m256 v) {
  const __m128 four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
}

template <int NT>
inline void mxfp4_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                       int rows, int cols, const float* x_split, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  const uint8_t* row_blocks = blocks + static_cast<size_t>(r) * cols / 2;
  const uint8_t* row_scales = scales + static_cast<size_t>(r) * nb;
  const ScaledFp4Table& table = scaled_fp4();
  __m256 acc[NT][4];
  for (int t = 0; t < NT; ++t)
    for (int a = 0; a < 4; ++a) acc[t][a] = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    const uint8_t* blk = row_blocks + b * kMxfp4BlockBytes;
    if ((b & 3) == 0) prefetch_stream(blk);                          // once per 64-byte line
    const __m256 positive = _mm256_load_ps(table.v[row_scales[b]]);  // FP4[0..7] * 2^(s-127)
    __m256 w[4];  // low nibbles of bytes 0-7, high of 0-7, low of 8-15, high of 8-15
    for (int half = 0; half < 2; ++half) {
      const __m256i codes =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + 8 * half)));
      w[2 * half] = fp4_lookup_avx2(codes, positive);
      w[2 * half + 1] = fp4_lookup_avx2(_mm256_srli_epi32(codes, 4), positive);
    }
    for (int t = 0; t < NT; ++t) {
      const float* xb = x_split + static_cast<size_t>(t0 + t) * cols + b * kMxfp4BlockCols;
      acc[t][0] = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(xb), acc[t][0]);       // even columns 0..14
      acc[t][1] = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(xb + 16), acc[t][1]);  // odd columns 1..15
      acc[t][2] = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(xb + 8), acc[t][2]);   // even 16..30
      acc[t][3] = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(xb + 24), acc[t][3]);  // odd 17..31
    }
  }
  const float bv = bias ? bf16_to_f32(bias[r]) : 0.0f;
  for (int t = 0; t < NT; ++t) {
    const __m256 sum =
        _mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][1]), _mm256_add_ps(acc[t][2], acc[t][3]));
    out[static_cast<size_t>(t0 + t) * rows + r] = horizontal_sum(sum) + bv;
  }
}

#else

// Portable twin of the AVX-512 tile: 16 lanes emulated with arrays, same summation order.
template <int NT>
inline void mxfp4_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                       int rows, int cols, const float* x_split, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  const uint8_t* row_blocks = blocks + static_cast<size_t>(r) * cols / 2;
  for (int t = 0; t < NT; ++t) {
    float acc[4][16] = {};
    const float* xt = x_split + static_cast<size_t>(t0 + t) * cols;
    for (int b = 0; b < nb; ++b) {
      const uint8_t* blk = row_blocks + b * kMxfp4BlockBytes;
      const float s = mxfp4_scale(scales[static_cast<size_t>(r) * nb + b]);
      const int a = 2 * (b & 1);
      for (int j = 0; j < 16; ++j) {
        acc[a][j] += kFp4[blk[j] & 0x0F] * s * xt[b * 32 + j];
        acc[a + 1][j] += kFp4[blk[j] >> 4] * s * xt[b * 32 + 16 + j];
      }
    }
    float sum = 0;
    for (int j = 0; j < 16; ++j) sum += (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]);
    out[static_cast<size_t>(t0 + t) * rows + r] = sum + (bias ? bf16_to_f32(bias[r]) : 0.0f);
  }
}

#endif

constexpr int kTokensPerTile = 4;  // batch: each decoded block feeds 4 tokens

}  // namespace

void matmul_mxfp4w_f32_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                            int rows, int cols, const float* x_split, int n, int row_begin, int row_end) {
  for (int r = row_begin; r < row_end; ++r) {
    int t0 = 0;
    for (; t0 + kTokensPerTile <= n; t0 += kTokensPerTile)
      mxfp4_tile<kTokensPerTile>(out, blocks, scales, bias, r, rows, cols, x_split, t0);
    for (; t0 < n; ++t0) mxfp4_tile<1>(out, blocks, scales, bias, r, rows, cols, x_split, t0);
  }
}

void matmul_mxfp4w_f32(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                       int rows, int cols, const float* x_split, int n, int threads) {
  const int chunks = (rows + kMxfp4RowChunk - 1) / kMxfp4RowChunk;
  // Small experts (test models) are not worth waking the team.
  const bool parallel = static_cast<long>(rows) * cols * n >= (1 << 16);
  // Dynamic chunks: a thread that loses its core for a while (a busy laptop) does not hold the
  // other one at the barrier.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (parallel)
  for (int chunk = 0; chunk < chunks; ++chunk) {
    const int r0 = chunk * kMxfp4RowChunk;
    matmul_mxfp4w_f32_rows(out, blocks, scales, bias, rows, cols, x_split, n, r0,
                           r0 + kMxfp4RowChunk < rows ? r0 + kMxfp4RowChunk : rows);
  }
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
