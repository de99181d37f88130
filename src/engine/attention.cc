#include "engine/attention.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

constexpr int kKeyBlock = 64;          // keys scored before their values are summed
constexpr int kHeadsPerItem = 8;       // query heads of one KV head scored together (gpt-oss: 64 / 8)
constexpr int kMinKeysPerRange = 256;  // decode splits the keys no finer than this

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
  // 2^i added to p's exponent field; unsigned, so a NaN's garbage bits wrap instead of overflowing
  // (undefined for int). Any NaN comes back as NaN, so a damaged checkpoint still shows up as
  // non-finite logits.
  const uint32_t i_bits = std::bit_cast<uint32_t>(shifted) - 0x4B400000u;
  const float e = std::bit_cast<float>(std::bit_cast<uint32_t>(p) + (i_bits << 23));
  return x < -86.0f ? 0.0f : x != x ? x : e;
}

// A key or value row of the cache as stored (f32, or bf16 bits widened as they are read).
template <class T>
const T* key_row(const KvCache& cache, int l, int p) {
  if constexpr (std::is_same_v<T, float>) return cache.key(l, p);
  else return cache.key_bf16(l, p);
}
template <class T>
const T* value_row(const KvCache& cache, int l, int p) {
  if constexpr (std::is_same_v<T, float>) return cache.value(l, p);
  else return cache.value_bf16(l, p);
}
inline float widen(float x) { return x; }
inline float widen(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// Keys [j_begin, j_end) of every head of one query at position p, added into the running state
// of an online softmax: per head h the running max m[h], the denominator denom[h] and the
// unnormalised output acc[h*D ..] = sum_j e^(s_j - m) v_j (the caller starts them: with the sink,
// m = sink and denom = e^0 = 1; without, m = lowest and denom = 0). Positions are visited in
// order, every KV head of a position together, so keys and values are read as two sequential
// streams; each block of kKeyBlock keys rescales what came before by e^(m_old - m_new).
template <class T>
void attend_range(float* acc, float* m, float* denom, const float* q, const KvCache& cache, int l,
                  int j_begin, int j_end, int NH, int NKV, int D) {
  const int group = NH / NKV;
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(D));
  alignas(64) float s[kHeadsPerItem][kKeyBlock];
  for (int j0 = j_begin; j0 < j_end; j0 += kKeyBlock) {
    const int nb = std::min(kKeyBlock, j_end - j0);
    for (int g = 0; g < NKV; ++g) {
      for (int h0 = g * group; h0 < (g + 1) * group; h0 += kHeadsPerItem) {
        const int G = std::min(kHeadsPerItem, (g + 1) * group - h0);
        // s_j = (q_h . k_{g,j}) / sqrt(D)
        for (int j = 0; j < nb; ++j) {
          const T* k = key_row<T>(cache, l, j0 + j) + g * D;
          for (int i = 0; i < G; ++i) {
            const float* q_h = q + (h0 + i) * D;
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (int d = 0; d < D; ++d) dot += q_h[d] * widen(k[d]);
            s[i][j] = dot * inv_sqrt_d;
          }
        }
        // a_j = e^(s_j - m), m the running max; earlier terms rescaled to the new m
        for (int i = 0; i < G; ++i) {
          const int h = h0 + i;
          float block_max = m[h];
#pragma omp simd reduction(max : block_max)
          for (int j = 0; j < nb; ++j) block_max = std::max(block_max, s[i][j]);
          const float rescale = exp_nonpositive(m[h] - block_max);
          m[h] = block_max;
          float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
          for (int j = 0; j < nb; ++j) {
            s[i][j] = exp_nonpositive(s[i][j] - block_max);
            sum += s[i][j];
          }
          denom[h] = denom[h] * rescale + sum;
          if (rescale != 1.0f) {
            float* o = acc + h * D;
#pragma omp simd
            for (int d = 0; d < D; ++d) o[d] *= rescale;
          }
        }
        // acc_h += sum_j a_j v_{g,j}
        for (int j = 0; j < nb; ++j) {
          const T* v = value_row<T>(cache, l, j0 + j) + g * D;
          for (int i = 0; i < G; ++i) {
            const float a = s[i][j];
            float* o = acc + (h0 + i) * D;
#pragma omp simd
            for (int d = 0; d < D; ++d) o[d] += a * widen(v[d]);
          }
        }
      }
    }
  }
}

// The state attend_range starts from: the sink's term, or nothing.
void start_state(float* acc, float* m, float* denom, const float* sinks, int NH, int D) {
  for (int h = 0; h < NH; ++h) {
    m[h] = sinks ? sinks[h] : std::numeric_limits<float>::lowest();
    denom[h] = sinks ? 1.0f : 0.0f;
  }
  std::fill(acc, acc + static_cast<size_t>(NH) * D, 0.0f);
}

// First visible key of the query at p: sliding layers see p - j < W.
int first_visible(const KvCache& cache, int l, int p) {
  const int W = cache.window(l);
  return W > 0 ? std::max(0, p - W + 1) : 0;
}

// attention_f32 for a cache of element type T (float or bf16 bits).
template <class T>
void attention(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
               int NH, int NKV, int D, float* scratch, int threads) {
  const size_t row = static_cast<size_t>(NH) * D;
  const size_t slot = attention_scratch_slot_floats(NH, D);
  if (n == 1) {
    // Decode: the visible keys are cut into contiguous ranges, one stream each, merged after.
    const int j_first = first_visible(cache, l, p0), visible = p0 + 1 - j_first;
    const int ranges = std::max(1, std::min(kRangesPerThread * threads, visible / kMinKeysPerRange));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (ranges > 1)
    for (int r = 0; r < ranges; ++r) {
      float* acc = scratch + r * slot;
      float *m = acc + row, *denom = m + NH;
      start_state(acc, m, denom, r == 0 ? sinks : nullptr, NH, D);
      attend_range<T>(acc, m, denom, q, cache, l,
                      j_first + static_cast<int>(static_cast<long>(visible) * r / ranges),
                      j_first + static_cast<int>(static_cast<long>(visible) * (r + 1) / ranges), NH, NKV, D);
    }
    // out_h = sum_r acc_r e^(m_r - M) / sum_r denom_r e^(m_r - M), M the largest m_r
    for (int h = 0; h < NH; ++h) {
      float M = std::numeric_limits<float>::lowest();
      for (int r = 0; r < ranges; ++r) M = std::max(M, scratch[r * slot + row + h]);
      float denom = 0.0f;
      float* o = out + h * D;
      std::fill(o, o + D, 0.0f);
      for (int r = 0; r < ranges; ++r) {
        const float* part = scratch + r * slot;
        const float w = exp_nonpositive(part[row + h] - M);
        denom += part[row + NH + h] * w;
#pragma omp simd
        for (int d = 0; d < D; ++d) o[d] += part[h * D + d] * w;
      }
      const float inv_denom = 1.0f / denom;
#pragma omp simd
      for (int d = 0; d < D; ++d) o[d] *= inv_denom;
    }
    return;
  }
  // A batch: one query per worker, its output row as the accumulator.
  const bool parallel = static_cast<long>(n) * NH * (p0 + n) * D >= (1 << 15);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (parallel)
  for (int t = 0; t < n; ++t) {
    float* acc = out + t * row;
    float* m = scratch + omp_get_thread_num() * slot + row;
    float* denom = m + NH;
    const int p = p0 + t;
    start_state(acc, m, denom, sinks, NH, D);
    attend_range<T>(acc, m, denom, q + t * row, cache, l, first_visible(cache, l, p), p + 1, NH, NKV, D);
    for (int h = 0; h < NH; ++h) {
      const float inv_denom = 1.0f / denom[h];
#pragma omp simd
      for (int d = 0; d < D; ++d) acc[h * D + d] *= inv_denom;
    }
  }
}

}  // namespace

void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, float* scratch, int threads) {
  if (cache.type() == KvType::kBf16)
    attention<uint16_t>(out, q, cache, l, p0, n, sinks, NH, NKV, D, scratch, threads);
  else
    attention<float>(out, q, cache, l, p0, n, sinks, NH, NKV, D, scratch, threads);
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
