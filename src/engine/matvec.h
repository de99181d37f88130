// Dense bf16-weight kernels: weights stay bf16 in the mapping and are widened on the fly;
// activations and accumulation are f32. Called through Kernels (kernels.h), one copy per target.
#pragma once

#include <cstdint>

#include "engine/weights.h"

namespace gptoss::engine {

// One of several matvecs sharing an input vector (q, k, v): out = W x + bias.
struct Bf16Matvec {
  float* out;
  Bf16Matrix w;
  const uint16_t* bias;  // or null
};

// Rows of the tile matmul_bf16w_f32 widens at a time; its `tile` scratch holds
// kMatmulTileRows * W.cols floats.
inline constexpr int kMatmulTileRows = 256;

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// out[r] = W[r, :] . x + bias[r]  for r < W.rows. bias [W.rows] bf16, or null. OpenMP over rows.
void matvec_bf16w_f32(float* out, const Bf16Matrix& w, const float* x, const uint16_t* bias, int threads);

// Every job's matvec with the same x [cols], in one parallel loop over all their rows (one team
// wake-up and one barrier instead of one per matrix).
void matvecs_bf16w_f32(const Bf16Matvec* jobs, int count, const float* x, int threads);

// out[t, r] = W[r, :] . x[t, :] + bias[r]  for t < n; x [n, W.cols], out [n, W.rows] (row stride
// out_stride, >= W.rows). For n >= 3 it widens kMatmulTileRows rows of W at a time into `tile`
// and calls OpenBLAS sgemm (outside any OpenMP region of ours); below that, matvec per token.
void matmul_bf16w_f32(float* out, int out_stride, const Bf16Matrix& w, const float* x, int n,
                      const uint16_t* bias, float* tile, int threads);

// The tiled body of the matmuls (this one and matvec_q8.h's): out[t, r] = W[r, :] . x[t, :] +
// bias[r] for a W [rows, cols] of any format, whose row r widen_row(tile_row, w, r) writes as
// cols floats; kMatmulTileRows rows at a time into `tile`, then OpenBLAS sgemm.
void matmul_tiles_f32(float* out, int out_stride, int rows, int cols, const float* x, int n,
                      const uint16_t* bias, float* tile, int threads,
                      void (*widen_row)(float* tile_row, const void* w, int r), const void* w);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
