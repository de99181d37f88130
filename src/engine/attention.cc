#include "engine/attention.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

constexpr int kKeyBlock = 64;     // keys scored before their values are summed
constexpr int kHeadsPerItem = 8;  // query heads of one KV head done together (gpt-oss: 64 / 8)

// e^x for x <= 0, in plain arithmetic so that `omp simd` loops vectorise it: x = i ln2 + r with
// i = round(x / ln2) and |r| <= ln2/2 (Cody-Waite, ln2 in two parts), e^r by its Taylor series to
// degree 7 (truncation < 6e-9 relative, under f32 rounding), times 2^i through the exponent bits.
// Below -86 the result (< 5e-38) is 0; that keeps 2^i normal.
inline float exp_nonpositive(float x) {
  const float xc = std::max(x, -86.0f);
  const float shifted = xc * 1.44269504f + 12582912.0f;  // 1.5 * 2^23: i lands in the low bits
  const float i = shifted - 12582912.0f;
  const float r = (xc - i * 0.693359375f) + i * 2.12194440e-4f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t i_bits = std::bit_cast<int32_t>(shifted) - 0x4B400000;
  const float e = std::bit_cast<float>(std::bit_cast<int32_t>(p) + i_bits * (1 << 23));
  return x < -86.0f ? 0.0f : e;
}

// Heads h < G (G <= kHeadsPerItem) of one query at position p, all reading KV head g:
// out[h*D ..] = softmax([s_j ..., sinks[h]]) . v. One pass over the visible keys in blocks of
// kKeyBlock with a running max m_h and denominator: the sink starts them (m = sink, its share
// e^0 = 1), and each block rescales what came before by e^(m_old - m_new).
void attend_group(float* out, const float* q, const float* sinks, int G, const KvCache& cache, int l, int g,
                  int p, int D) {
  const int W = cache.window(l);
  const int j_first = W > 0 ? std::max(0, p - W + 1) : 0;  // sliding: visible iff p - j < W
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(D));
  float m[kHeadsPerItem], denom[kHeadsPerItem];
  alignas(64) float s[kHeadsPerItem][kKeyBlock];
  for (int h = 0; h < G; ++h) {
    m[h] = sinks[h];
    denom[h] = 1.0f;
    std::fill(out + h * D, out + (h + 1) * D, 0.0f);
  }
  for (int j0 = j_first; j0 <= p; j0 += kKeyBlock) {
    const int nb = std::min(kKeyBlock, p + 1 - j0);
    // s_j = (q_h . k_{g,j}) / sqrt(D)
    for (int j = 0; j < nb; ++j) {
      const float* k = cache.key(l, j0 + j) + g * D;
      for (int h = 0; h < G; ++h) {
        const float* q_h = q + h * D;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int d = 0; d < D; ++d) dot += q_h[d] * k[d];
        s[h][j] = dot * inv_sqrt_d;
      }
    }
    // a_j = e^(s_j - m), m the running max; earlier terms rescaled to the new m
    for (int h = 0; h < G; ++h) {
      float block_max = m[h];
#pragma omp simd reduction(max : block_max)
      for (int j = 0; j < nb; ++j) block_max = std::max(block_max, s[h][j]);
      const float rescale = exp_nonpositive(m[h] - block_max);
      m[h] = block_max;
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int j = 0; j < nb; ++j) {
        s[h][j] = exp_nonpositive(s[h][j] - block_max);
        sum += s[h][j];
      }
      denom[h] = denom[h] * rescale + sum;
      if (rescale != 1.0f) {
        float* o = out + h * D;
#pragma omp simd
        for (int d = 0; d < D; ++d) o[d] *= rescale;
      }
    }
    // out_h += sum_j a_j v_{g,j}
    for (int j = 0; j < nb; ++j) {
      const float* v = cache.value(l, j0 + j) + g * D;
      for (int h = 0; h < G; ++h) {
        const float a = s[h][j];
        float* o = out + h * D;
#pragma omp simd
        for (int d = 0; d < D; ++d) o[d] += a * v[d];
      }
    }
  }
  for (int h = 0; h < G; ++h) {
    const float inv_denom = 1.0f / denom[h];
    float* o = out + h * D;
#pragma omp simd
    for (int d = 0; d < D; ++d) o[d] *= inv_denom;
  }
}

}  // namespace

void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, int threads) {
  const int group = NH / NKV;  // query heads per KV head
  const int parts = (group + kHeadsPerItem - 1) / kHeadsPerItem;
  const int items = n * NKV * parts;
  const size_t row = static_cast<size_t>(NH) * D;
  // Work ~ queries x heads x visible keys x D; a few thousand multiply-adds are not worth a team.
  const bool parallel = static_cast<long>(n) * NH * (p0 + n) * D >= (1 << 15);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (parallel)
  for (int item = 0; item < items; ++item) {
    const int t = item / (NKV * parts), g = item / parts % NKV, part = item % parts;
    const int h0 = g * group + part * kHeadsPerItem;
    const int G = std::min(kHeadsPerItem, (g + 1) * group - h0);
    attend_group(out + t * row + h0 * D, q + t * row + h0 * D, sinks + h0, G, cache, l, g, p0 + t, D);
  }
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
