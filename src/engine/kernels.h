// The hot kernels, compiled once per CPU target, and the table a Model picks at open.
//
// How: the kernel files (matvec, mxfp4, attention, rmsnorm, kernel_table) are compiled three
// times, each copy in its own namespace (avx512, avx2, baseline) with its instruction set enabled
// by `#pragma GCC target` after the standard headers (kernel_target_begin.h), the way Highway's
// static dispatch does. Not -m flags per file: inline functions of shared headers (std::, bf16.h)
// compiled with -mavx512f may be kept by the linker for the whole program and crash an AVX2
// CPU. Not libhwy: it would rewrite every kernel in its own vocabulary. The program itself is
// built for plain x86-64. A Model holds a pointer to one constant table; there is no global
// switch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/attention.h"
#include "engine/kv_cache.h"
#include "engine/matvec.h"
#include "engine/matvec_q8.h"
#include "engine/weights.h"

namespace gptoss::engine {

enum class KernelTarget { kBaseline, kAvx2, kAvx512 };

struct Kernels {
  KernelTarget target;
  const char* name;  // "avx512", "avx2", "baseline" (GPTOSS_KERNELS spelling)
  bool vnni;         // the int8 dot products use AVX-512 VNNI (vpdpbusd)

  // out[r] = W[r, :] . x + bias[r]  for r < W.rows. bias [W.rows] bf16, or null. OpenMP over rows.
  void (*matvec_bf16w_f32)(float* out, const Bf16Matrix& w, const float* x, const uint16_t* bias,
                           int threads);
  // Every job's matvec with the same x [cols], in one parallel loop over all their rows.
  void (*matvecs_bf16w_f32)(const Bf16Matvec* jobs, int count, const float* x, int threads);
  // out[t, r] = W[r, :] . x[t, :] + bias[r]  for t < n; x [n, W.cols], out [n, W.rows] (row
  // stride out_stride >= W.rows). tile: kMatmulTileRows * W.cols floats of scratch (matvec.h).
  void (*matmul_bf16w_f32)(float* out, int out_stride, const Bf16Matrix& w, const float* x, int n,
                           const uint16_t* bias, float* tile, int threads);
  // 8-bit block weights (matvec_q8.h): x [n] (n % 32 == 0) to blocks of int8 and a scale.
  void (*quantize_q8_f32)(int8_t* q, float* scales, const float* x, size_t n);
  // out[r] = W[r, :] . x~ + bias[r], x~ quantised by quantize_q8_f32. OpenMP over rows.
  void (*matvec_q8w_q8)(float* out, const Q8Matrix& w, const int8_t* xq, const float* xs,
                        const uint16_t* bias, int threads);
  // out[t, r] = W[r, :] . x~[t, :] + bias[r]  for t < n, rows quantised first (scratch); tile as
  // matmul_bf16w_f32's.
  void (*matmul_q8w_f32)(float* out, int out_stride, const Q8Matrix& w, const float* x, int n,
                         const uint16_t* bias, const Q8Scratch& scratch, float* tile, int threads);
  // MXFP4 weights (mxfp4.h): out[t*rows + r] = sum_c W[r, c] x[t, c] + bias[r], rows
  // [row_begin, row_end) only, on the calling thread; x_split in split column order.
  void (*matmul_mxfp4w_f32_rows)(float* out, const uint8_t* blocks, const uint8_t* scales,
                                 const uint16_t* bias, int rows, int cols, const float* x_split, int n,
                                 int row_begin, int row_end);
  // All rows of the above, OpenMP over row chunks.
  void (*matmul_mxfp4w_f32)(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                            int rows, int cols, const float* x_split, int n, int threads);
  // MXFP4 weights times 8-bit inputs (mxfp4_q8.h, the `fast` experts): as matmul_mxfp4w_f32_rows
  // with xq [n, mxfp4_q8_input_bytes(cols, levels)] from quantize_mxfp4_input_q8.
  void (*matmul_mxfp4w_q8_rows)(float* out, const uint8_t* blocks, const uint8_t* scales,
                                const uint16_t* bias, int rows, int cols, const uint8_t* xq, int levels,
                                int n, int row_begin, int row_end);
  // Grouped-query attention of n queries at p0.. of layer l (attention.h).
  void (*attention_f32)(float* out, const float* q, const KvCache& cache, int l, int p0, int n,
                        const float* sinks, int NH, int NKV, int D, float* scratch, int threads);
  // out[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * w  for t < n rows of H (rmsnorm.h).
  void (*rmsnorm_bf16w_f32)(float* out, const float* x, const uint16_t* w, int n, int H, float eps);
  // sum_i x[i], i < n: the read loop of the bandwidth measurement (sum.h).
  double (*sum_f32)(const float* x, size_t n, int threads);
};

// The table of a target (constant, built into the program). AVX-512 has two: with VNNI, chosen
// where the CPU has it, and without (`vnni` false, or a CPU without it).
const Kernels& kernels_for(KernelTarget target, bool vnni = true);

// Whether this CPU (and its OS) executes AVX-512 VNNI.
bool cpu_has_vnni();

// Targets this CPU (and its OS) can execute, best last; baseline always.
std::vector<KernelTarget> runnable_kernel_targets();

// The best runnable target, or the one `forced` names ("avx512", "avx2", "baseline"; empty:
// none forced). Throws gptoss::Error on an unknown name or one this CPU cannot execute.
KernelTarget choose_kernel_target(const std::string& forced);

}  // namespace gptoss::engine
