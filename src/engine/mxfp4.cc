#include "engine/mxfp4.h"

#include "engine/bf16.h"

#include <cmath>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace gptoss::engine {

void split_mxfp4_columns_f32(float* out, const float* x, int cols) {
  for (int b = 0; b < cols; b += kMxfp4BlockCols) {
    for (int i = 0; i < kMxfp4BlockCols / 2; ++i) {
      out[b + i] = x[b + 2 * i];
      out[b + 16 + i] = x[b + 2 * i + 1];
    }
  }
}

namespace {

#if defined(__AVX512F__)

// NR rows x NT tokens at once. Per (row, token) the arithmetic is always the same: low nibbles
// accumulate into acc_lo, high into acc_hi, block by block in order, then one reduction; so the
// grouping (and hence the batch size) never changes a result.
// kScaledFp4[s][c] = FP4[c] * 2^(s-127), computed in double (so 0 * 2^128 is 0, not NaN): a
// block's 16 values are one 64-byte row, fetched by one load instead of a broadcast and two
// multiplies per block.
struct ScaledFp4Table {
  alignas(64) float v[256][16];
  ScaledFp4Table() {
    for (int s = 0; s < 256; ++s)
      for (int c = 0; c < 16; ++c) v[s][c] = static_cast<float>(std::ldexp(static_cast<double>(kFp4[c]), s - 127));
  }
};

const ScaledFp4Table& scaled_fp4() {
  static const ScaledFp4Table table;  // constant after first use
  return table;
}

// NR rows x NT tokens at once. Per (row, token) the arithmetic is always the same: low nibbles
// accumulate into acc_lo, high into acc_hi, block by block in order, then one reduction; so the
// grouping (and hence the batch size) never changes a result.
template <int NR, int NT>
inline void mxfp4_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                       int r0, int rows, int cols, const float* x_split, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  const size_t row_bytes = static_cast<size_t>(cols) / 2;
  const ScaledFp4Table& table = scaled_fp4();
  __m512 acc_lo[NR][NT], acc_hi[NR][NT];
  for (int i = 0; i < NR; ++i)
    for (int t = 0; t < NT; ++t) acc_lo[i][t] = acc_hi[i][t] = _mm512_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    __m512 w_lo[NR], w_hi[NR];
    for (int i = 0; i < NR; ++i) {
      const uint8_t* blk = blocks + (r0 + i) * row_bytes + b * kMxfp4BlockBytes;
      const __m512i codes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
      const __m512 values = _mm512_load_ps(table.v[scales[static_cast<size_t>(r0 + i) * nb + b]]);
      // vpermps reads only the low 4 bits of each index: the low nibble needs no mask.
      w_lo[i] = _mm512_permutexvar_ps(codes, values);
      w_hi[i] = _mm512_permutexvar_ps(_mm512_srli_epi32(codes, 4), values);
    }
    for (int t = 0; t < NT; ++t) {
      const float* xb = x_split + static_cast<size_t>(t0 + t) * cols + b * kMxfp4BlockCols;
      const __m512 x_even = _mm512_loadu_ps(xb);
      const __m512 x_odd = _mm512_loadu_ps(xb + 16);
      for (int i = 0; i < NR; ++i) {
        acc_lo[i][t] = _mm512_fmadd_ps(w_lo[i], x_even, acc_lo[i][t]);
        acc_hi[i][t] = _mm512_fmadd_ps(w_hi[i], x_odd, acc_hi[i][t]);
      }
    }
  }
  for (int i = 0; i < NR; ++i) {
    const float b = bias ? bf16_to_f32(bias[r0 + i]) : 0.0f;
    for (int t = 0; t < NT; ++t)
      out[static_cast<size_t>(t0 + t) * rows + r0 + i] =
          _mm512_reduce_add_ps(_mm512_add_ps(acc_lo[i][t], acc_hi[i][t])) + b;
  }
}

#else

// Portable twin of the AVX-512 tile: 16 lanes emulated with arrays, same summation order.
template <int NR, int NT>
inline void mxfp4_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                       int r0, int rows, int cols, const float* x_split, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  const size_t row_bytes = static_cast<size_t>(cols) / 2;
  for (int i = 0; i < NR; ++i) {
    for (int t = 0; t < NT; ++t) {
      float acc_lo[16] = {}, acc_hi[16] = {};
      const float* xt = x_split + static_cast<size_t>(t0 + t) * cols;
      for (int b = 0; b < nb; ++b) {
        const uint8_t* blk = blocks + (r0 + i) * row_bytes + b * kMxfp4BlockBytes;
        const float s = mxfp4_scale(scales[static_cast<size_t>(r0 + i) * nb + b]);
        for (int j = 0; j < 16; ++j) {
          acc_lo[j] += kFp4[blk[j] & 0x0F] * s * xt[b * 32 + j];
          acc_hi[j] += kFp4[blk[j] >> 4] * s * xt[b * 32 + 16 + j];
        }
      }
      float sum = 0;
      for (int j = 0; j < 16; ++j) sum += acc_lo[j] + acc_hi[j];
      out[static_cast<size_t>(t0 + t) * rows + r0 + i] = sum + (bias ? bf16_to_f32(bias[r0 + i]) : 0.0f);
    }
  }
}

#endif

constexpr int kRowsPerTask = 4;   // decode: 4 rows share nothing but give the FMAs independent chains
constexpr int kTokensPerTile = 8;  // batch: each decoded block feeds 8 tokens

}  // namespace

void matmul_mxfp4w_f32_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                            int rows, int cols, const float* x_split, int n, int row_begin, int row_end) {
  for (int r0 = row_begin; r0 < row_end; r0 += kRowsPerTask) {
    const int nr = row_end - r0 < kRowsPerTask ? row_end - r0 : kRowsPerTask;
    if (n == 1 && nr == kRowsPerTask) {
      mxfp4_tile<kRowsPerTask, 1>(out, blocks, scales, bias, r0, rows, cols, x_split, 0);
      continue;
    }
    for (int i = 0; i < nr; ++i) {
      int t0 = 0;
      for (; t0 + kTokensPerTile <= n; t0 += kTokensPerTile)
        mxfp4_tile<1, kTokensPerTile>(out, blocks, scales, bias, r0 + i, rows, cols, x_split, t0);
      for (; t0 < n; ++t0) mxfp4_tile<1, 1>(out, blocks, scales, bias, r0 + i, rows, cols, x_split, t0);
    }
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

}  // namespace gptoss::engine
