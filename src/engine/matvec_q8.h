// Dense weights in 8-bit blocks (the `fast` profile's unembedding, q8_weights.h): every 32 consecutive values
// of a row are int8 q[c] and one f32 scale s, w[c] ~= s * q[c]. A matvec quantises its input vector the same
// way, once, and sums integer products per block: one float multiply per 32 columns. Called
// through Kernels (kernels.h), one copy per target.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gptoss::engine {

inline constexpr int kQ8Block = 32;  // values per block, one scale each

// Row-major [rows, cols] in blocks; cols % kQ8Block == 0.
struct Q8Matrix {
  const int8_t* q = nullptr;      // [rows, cols]
  const float* scales = nullptr;  // [rows, cols / 32]
  int rows = 0;
  int cols = 0;
  const int8_t* row(int r) const { return q + static_cast<size_t>(r) * cols; }
  const float* row_scales(int r) const { return scales + static_cast<size_t>(r) * (cols / kQ8Block); }
};

// Scratch of matmul_q8w_f32 for n rows of `cols` values.
struct Q8Scratch {
  int8_t* q;       // [n, cols]
  float* scales;   // [n, cols / 32]
  float* rounded;  // [n, cols]: the quantised rows widened back, for sgemm (n >= 3)
};

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// Blocks of x [n] (n % 32 == 0): scales[b] = max|x| over block b / 127, q[c] = x[c] / scales[b]
// rounded to the nearest integer, ties to even (in [-127, 127]; 0 for an all-zero block). The
// same arithmetic on every target, so every copy makes the same bytes.
void quantize_q8_f32(int8_t* q, float* scales, const float* x, size_t n);

// out[r] = sum_b Ws[r, b] xs[b] sum_{c in b} Wq[r, c] xq[c] + bias[r]  for r < W.rows: the input
// quantised by quantize_q8_f32. OpenMP over rows.
void matvec_q8w_q8(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs, const uint16_t* bias,
                   int threads);

// out[t, r] = W[r, :] . x~[t, :] + bias[r]  for t < n, x~ the rows of x [n, W.cols] quantised as
// above (so a prefill computes what decode does); out row stride out_stride >= W.rows. For n >= 3
// it widens kMatmulTileRows rows of W at a time into `tile` (matvec.h) and calls OpenBLAS sgemm;
// below that, matvec_q8w_q8 per token.
void matmul_q8w_f32(float* out, int out_stride, const Q8Matrix& w, const float* x, int n,
                    const uint16_t* bias, const Q8Scratch& scratch, float* tile, int threads);

#if defined(GPTOSS_KERNEL_AVX512)
// The same matvec with AVX-512 VNNI (vpdpbusd), for CPUs that have it (kernels.cc).
void matvec_q8w_q8_vnni(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs,
                        const uint16_t* bias, int threads);
#endif
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
