// MXFP4 (model.md "MXFP4"): 32 columns per block, 16 bytes of 4-bit codes (column 2j in the low
// nibble of byte j, 2j+1 in the high one) and one scale byte s; a code c means FP4[c] * 2^(s-127).
// The kernels read the packed blocks directly; nothing is ever expanded to 16/32-bit in memory.
// Called through Kernels (kernels.h), one copy per target.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace gptoss::engine {

inline constexpr int kMxfp4BlockCols = 32;
inline constexpr int kMxfp4BlockBytes = 16;

inline constexpr float kFp4[16] = {+0.0f, +0.5f, +1.0f, +1.5f, +2.0f, +3.0f, +4.0f, +6.0f,
                                   -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

// 2^(s - 127). Its f32 bit pattern is simply s in the exponent field (s = 0 is the subnormal
// 2^-127; s = 255 overflows to +inf, as 2^128 does in f32).
inline float mxfp4_scale(uint8_t s) {
  return s ? std::bit_cast<float>(static_cast<uint32_t>(s) << 23) : std::bit_cast<float>(0x00400000u);
}

// Column order the kernels want their input in ("split"): within each block of 32, the 16 even
// columns then the 16 odd ones, so low and high nibbles meet contiguous inputs. The input is
// rearranged once per token instead of shuffling every row's weights.
// out[b*32 + i] = x[b*32 + 2i], out[b*32 + 16 + i] = x[b*32 + 2i + 1]; cols % 32 == 0.
inline void split_mxfp4_columns_f32(float* out, const float* x, int cols) {
  for (int b = 0; b < cols; b += kMxfp4BlockCols) {
    for (int i = 0; i < kMxfp4BlockCols / 2; ++i) {
      out[b + i] = x[b + 2 * i];
      out[b + 16 + i] = x[b + 2 * i + 1];
    }
  }
}

// Floats of one token's split input.
inline constexpr int mxfp4_split_size(int cols) { return cols; }

// Rows a parallel worker takes at a time. Each chunk is one weight stream that the prefetchers
// must start again; 128 rows (184 KB of a 20b gate_up) decoded 5% faster than 64 in `exact` and 3%
// in `fast` (Xeon, 2 threads), with as many chunks as prefill needs to balance two threads.
inline constexpr int kMxfp4RowChunk = 128;

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// out[t*rows + r] = sum_c W[r, c] x[t, c] + bias[r]  for t < n, r < rows.
// W: blocks [rows, cols/32, 16] u8 and scales [rows, cols/32] u8; bias [rows] bf16 (or null);
// x_split [n, mxfp4_split_size(cols)] f32 in split order. Each packed block is decoded once per
// group of up to 4 tokens. The result for a token does not depend on n (decode == batch).
void matmul_mxfp4w_f32(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                       int rows, int cols, const float* x_split, int n, int threads);

// matmul_mxfp4w_f32 for rows [row_begin, row_end) only, on the calling thread: for callers that
// spread several matrices over one parallel loop.
void matmul_mxfp4w_f32_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                            int rows, int cols, const float* x_split, int n, int row_begin, int row_end);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
