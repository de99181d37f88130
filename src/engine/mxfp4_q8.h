// MXFP4 weights times 8-bit inputs: the `fast` profile's experts. The input vector is quantised
// once per token to blocks of 32 int8 values and one scale (as llama.cpp's Q8_0 activations),
// and each weight block's dot product is summed in integers: a code c becomes the byte
// 2 FP4[c] + 12 (0..24) by one byte shuffle, a u8 x s8 dot product (vpdpbusd with VNNI,
// vpmaddubsw + vpmaddwd without) sums it against the inputs, and the 12 sum(q) the offset adds
// is taken back by starting from -12 sum(q). One float multiply-add per block and token: about
// a third of the f32 kernel's instructions, which prefill is bound by.
//
// Inputs come in one or two levels. One level: x ~ d q. Two levels: x ~ d (q1 + q2 / 256), q2
// the rounded remainder (within d / 256 of x): about 15 bits per block, for inputs with outliers
// (the SwiGLU output, where one level took the tiny model out of the precision band). Two levels
// cost a second pair of dot products per block and token, and nothing more per weight byte.
//
// Layout of one token's input, per group of 4 blocks (128 columns; missing blocks of the last
// group are zero), 256 bytes per level:
//   int8  lo[64]      lo[16k + i] = q1(block 4g+k, column 2i)      (meets the low nibbles)
//   int8  hi[64]      hi[16k + i] = q1(block 4g+k, column 2i + 1)  (meets the high nibbles)
//   float scale[16]   scale[4k + j] = d_k / 2, or d_k / 512 with two levels
//   int32 offset[16]  offset[4k] = -12 sum_i (lo + hi of block k), offset[4k + 1..3] = 0
//   two levels only: 256 more bytes, the same for q2 (their scale slots zero).
// so that 128-bit lane k of a 64-byte load is block k, the way the byte shuffles work.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gptoss::engine {

inline constexpr int kMxfp4Q8GroupBlocks = 4;
inline constexpr int kMxfp4Q8GroupBytes = 256;  // per level
inline constexpr int kMxfp4Q8Offset = 12;       // added to 2 FP4[c] to make it unsigned

// Bytes of one token's input for `cols` columns (cols % 32 == 0) in `levels` (1 or 2) levels.
inline constexpr size_t mxfp4_q8_input_bytes(int cols, int levels) {
  return static_cast<size_t>((cols / 32 + kMxfp4Q8GroupBlocks - 1) / kMxfp4Q8GroupBlocks) *
         kMxfp4Q8GroupBytes * levels;
}

// x [cols] (natural column order) -> out [mxfp4_q8_input_bytes(cols, levels)]. Each block of 32
// columns gets d = max|x| / 127, q1 = x (1 / d) rounded to nearest (ties to even) and, with two
// levels, q2 = (x (1 / d) - q1) 256 rounded, clamped to +-127.
void quantize_mxfp4_input_q8(uint8_t* out, const float* x, int cols, int levels);

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// out[t*rows + r] = sum_c W[r, c] x~[t, c] + bias[r] for t < n and rows [row_begin, row_end), on
// the calling thread. W as in mxfp4.h; x~ the inputs xq [n, mxfp4_q8_input_bytes(cols, levels)].
// A token's result does not depend on n.
void matmul_mxfp4w_q8_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                           int rows, int cols, const uint8_t* xq, int levels, int n, int row_begin,
                           int row_end);
#if defined(GPTOSS_KERNEL_AVX512)
// The same with vpdpbusd (AVX-512 VNNI; same results, the integer sums are exact either way).
void matmul_mxfp4w_q8_rows_vnni(float* out, const uint8_t* blocks, const uint8_t* scales,
                                const uint16_t* bias, int rows, int cols, const uint8_t* xq, int levels,
                                int n, int row_begin, int row_end);
#endif
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
