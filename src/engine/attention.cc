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
constexpr int kBlockFloats = 64 * 128;  // a gathered block of keys or values: 64 rows of D = 128

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

// The rows of KV head g at positions j0 .. j0+nb-1, as f32 in one [padded, D] block: a sliding
// layer's ring may wrap inside a block, and the bf16 cache is widened once here rather than once
// per query head. Rows nb .. padded-1 are zero.
template <class T, class RowOf>
void gather_block(float* block, RowOf row_of, int nb, int padded, int g, int D) {
  for (int j = 0; j < nb; ++j) {
    const T* src = row_of(j) + static_cast<size_t>(g) * D;
    float* dst = block + static_cast<size_t>(j) * D;
#pragma omp simd
    for (int d = 0; d < D; ++d) dst[d] = widen(src[d]);
  }
  std::fill(block + static_cast<size_t>(nb) * D, block + static_cast<size_t>(padded) * D, 0.0f);
}

// Keys a block is padded to: the width the score kernel reduces at once.
#if defined(GPTOSS_KERNEL_AVX512)
constexpr int kScoreLanes = 16;
#elif defined(GPTOSS_KERNEL_AVX2)
constexpr int kScoreLanes = 8;
#else
constexpr int kScoreLanes = 1;
#endif

#if defined(GPTOSS_KERNEL_AVX512)
// Lane j of the result is the sum of t[j]'s 16 lanes: pairs are interleaved and added, four
// levels deep, instead of 16 separate horizontal sums.
inline __m512 sum_lanes_16(const __m512* t) {
  __m512 pairs[8], quads[4], halves[2];
  for (int k = 0; k < 8; ++k)  // per 128-bit lane: [t2k a, t2k+1 a, t2k b, t2k+1 b]
    pairs[k] = _mm512_add_ps(_mm512_unpacklo_ps(t[2 * k], t[2 * k + 1]), _mm512_unpackhi_ps(t[2 * k], t[2 * k + 1]));
  for (int k = 0; k < 4; ++k) {  // per 128-bit lane: the four keys 4k .. 4k+3
    const __m512d a = _mm512_castps_pd(pairs[2 * k]), b = _mm512_castps_pd(pairs[2 * k + 1]);
    quads[k] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  for (int k = 0; k < 2; ++k)  // 128-bit lanes 0+1 and 2+3 of two quads
    halves[k] = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2 * k], quads[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_f32x4(quads[2 * k], quads[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// s[j] = scale * (q . k_j) for j < padded (a multiple of 16); k: [padded, 16 * DV]. q stays in
// registers; each key's product is one vector, summed across lanes 16 keys at a time.
template <int DV>
void block_scores(float* s, const float* q, const float* k, int padded, float scale) {
  constexpr int D = 16 * DV;
  __m512 qv[DV];
  for (int c = 0; c < DV; ++c) qv[c] = _mm512_loadu_ps(q + 16 * c);
  for (int j0 = 0; j0 < padded; j0 += 16) {
    __m512 t[16];
    for (int j = 0; j < 16; ++j) {
      const float* kj = k + static_cast<size_t>(j0 + j) * D;
      t[j] = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kj));
      for (int c = 1; c < DV; ++c) t[j] = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(kj + 16 * c), t[j]);
    }
    _mm512_storeu_ps(s + j0, _mm512_mul_ps(sum_lanes_16(t), _mm512_set1_ps(scale)));
  }
}

// o += sum_j a[j] v_j for j < nb; v: [nb, 16 * DV]. o stays in registers, in two sets (even and
// odd keys) so that consecutive FMAs do not wait on each other.
template <int DV>
void add_weighted_rows(float* o, const float* a, const float* v, int nb) {
  constexpr int D = 16 * DV;
  __m512 even[DV], odd[DV];
  for (int c = 0; c < DV; ++c) {
    even[c] = _mm512_loadu_ps(o + 16 * c);
    odd[c] = _mm512_setzero_ps();
  }
  int j = 0;
  for (; j + 1 < nb; j += 2) {
    const __m512 a0 = _mm512_set1_ps(a[j]), a1 = _mm512_set1_ps(a[j + 1]);
    const float* v0 = v + static_cast<size_t>(j) * D;
    for (int c = 0; c < DV; ++c) {
      even[c] = _mm512_fmadd_ps(a0, _mm512_loadu_ps(v0 + 16 * c), even[c]);
      odd[c] = _mm512_fmadd_ps(a1, _mm512_loadu_ps(v0 + D + 16 * c), odd[c]);
    }
  }
  if (j < nb) {
    const __m512 a0 = _mm512_set1_ps(a[j]);
    for (int c = 0; c < DV; ++c)
      even[c] = _mm512_fmadd_ps(a0, _mm512_loadu_ps(v + static_cast<size_t>(j) * D + 16 * c), even[c]);
  }
  for (int c = 0; c < DV; ++c) _mm512_storeu_ps(o + 16 * c, _mm512_add_ps(even[c], odd[c]));
}
#elif defined(GPTOSS_KERNEL_AVX2)
// Lane j of the result is the sum of t[j]'s 8 lanes (see the AVX-512 copy).
inline __m256 sum_lanes_8(const __m256* t) {
  __m256 pairs[4], quads[2];
  for (int k = 0; k < 4; ++k)
    pairs[k] = _mm256_add_ps(_mm256_unpacklo_ps(t[2 * k], t[2 * k + 1]), _mm256_unpackhi_ps(t[2 * k], t[2 * k + 1]));
  for (int k = 0; k < 2; ++k) {
    const __m256d a = _mm256_castps_pd(pairs[2 * k]), b = _mm256_castps_pd(pairs[2 * k + 1]);
    quads[k] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)));
  }
  return _mm256_add_ps(_mm256_permute2f128_ps(quads[0], quads[1], 0x20), _mm256_permute2f128_ps(quads[0], quads[1], 0x31));
}

template <int DV>
void block_scores(float* s, const float* q, const float* k, int padded, float scale) {
  constexpr int D = 8 * DV;
  __m256 qv[DV];
  for (int c = 0; c < DV; ++c) qv[c] = _mm256_loadu_ps(q + 8 * c);
  for (int j0 = 0; j0 < padded; j0 += 8) {
    __m256 t[8];
    for (int j = 0; j < 8; ++j) {
      const float* kj = k + static_cast<size_t>(j0 + j) * D;
      t[j] = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kj));
      for (int c = 1; c < DV; ++c) t[j] = _mm256_fmadd_ps(qv[c], _mm256_loadu_ps(kj + 8 * c), t[j]);
    }
    _mm256_storeu_ps(s + j0, _mm256_mul_ps(sum_lanes_8(t), _mm256_set1_ps(scale)));
  }
}

template <int DV>
void add_weighted_rows(float* o, const float* a, const float* v, int nb) {
  constexpr int D = 8 * DV;
  __m256 acc[DV];
  for (int c = 0; c < DV; ++c) acc[c] = _mm256_loadu_ps(o + 8 * c);
  for (int j = 0; j < nb; ++j) {
    const __m256 aj = _mm256_set1_ps(a[j]);
    const float* vj = v + static_cast<size_t>(j) * D;
    for (int c = 0; c < DV; ++c) acc[c] = _mm256_fmadd_ps(aj, _mm256_loadu_ps(vj + 8 * c), acc[c]);
  }
  for (int c = 0; c < DV; ++c) _mm256_storeu_ps(o + 8 * c, acc[c]);
}
#endif

// The portable forms of the two above, for any D.
void block_scores_any(float* s, const float* q, const float* k, int nb, int D, float scale) {
  for (int j = 0; j < nb; ++j) {
    const float* kj = k + static_cast<size_t>(j) * D;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int d = 0; d < D; ++d) dot += q[d] * kj[d];
    s[j] = dot * scale;
  }
}
void add_weighted_rows_any(float* o, const float* a, const float* v, int nb, int D) {
  for (int j = 0; j < nb; ++j) {
    const float aj = a[j];
    const float* vj = v + static_cast<size_t>(j) * D;
#pragma omp simd
    for (int d = 0; d < D; ++d) o[d] += aj * vj[d];
  }
}

// The vector width's multiple of D, as the number of vectors per row (0: not a multiple, or a
// width the templates above do not cover).
inline int vectors_per_row(int D) {
  if (kScoreLanes == 1 || D % kScoreLanes != 0) return 0;
  const int dv = D / kScoreLanes;
  return dv == 1 || dv == 2 || dv == 4 || dv == 8 ? dv : 0;
}

// s[j] = scale * (q . k_j), j < padded; a block of keys, rows of D.
void scores_of_block(float* s, const float* q, const float* k, int nb, int padded, int D, float scale) {
#if defined(GPTOSS_KERNEL_AVX512) || defined(GPTOSS_KERNEL_AVX2)
  switch (vectors_per_row(D)) {
    case 1: return block_scores<1>(s, q, k, padded, scale);
    case 2: return block_scores<2>(s, q, k, padded, scale);
    case 4: return block_scores<4>(s, q, k, padded, scale);
    case 8: return block_scores<8>(s, q, k, padded, scale);
    default: break;
  }
#endif
  (void)padded;
  block_scores_any(s, q, k, nb, D, scale);
}

// o += sum_j a[j] v_j, j < nb; a block of values, rows of D.
void add_weighted_block(float* o, const float* a, const float* v, int nb, int D) {
#if defined(GPTOSS_KERNEL_AVX512) || defined(GPTOSS_KERNEL_AVX2)
  switch (vectors_per_row(D)) {
    case 1: return add_weighted_rows<1>(o, a, v, nb);
    case 2: return add_weighted_rows<2>(o, a, v, nb);
    case 4: return add_weighted_rows<4>(o, a, v, nb);
    case 8: return add_weighted_rows<8>(o, a, v, nb);
    default: break;
  }
#endif
  add_weighted_rows_any(o, a, v, nb, D);
}

// Keys [j_begin, j_end) of every head of one query at position p, added into the running state
// of an online softmax: per head h the running max m[h], the denominator denom[h] and the
// unnormalised output acc[h*D ..] = sum_j e^(s_j - m) v_j (the caller starts them: with the sink,
// m = sink and denom = e^0 = 1; without, m = lowest and denom = 0). Positions are visited in
// blocks of kKeyBlock; per KV head, the block's keys are gathered (widened) once and scored
// against all its query heads, then its values likewise; each block rescales what came before by
// e^(m_old - m_new).
template <class T>
void attend_range(float* acc, float* m, float* denom, const float* q, const KvCache& cache, int l,
                  int j_begin, int j_end, int NH, int NKV, int D) {
  const int group = NH / NKV;
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(D));
  alignas(64) float s[kHeadsPerItem][kKeyBlock];
  alignas(64) float block[kBlockFloats];  // keys, then values, of one KV head
  // Fewer keys per block when D > 128: at least 16 (config.cc caps D at 512).
  const int block_keys = std::min(kKeyBlock, kBlockFloats / D / 16 * 16);
  for (int j0 = j_begin; j0 < j_end; j0 += block_keys) {
    const int nb = std::min(block_keys, j_end - j0);
    const int padded = (nb + kScoreLanes - 1) / kScoreLanes * kScoreLanes;
    for (int g = 0; g < NKV; ++g) {
      for (int h0 = g * group; h0 < (g + 1) * group; h0 += kHeadsPerItem) {
        const int G = std::min(kHeadsPerItem, (g + 1) * group - h0);
        // s_j = (q_h . k_{g,j}) / sqrt(D)
        gather_block<T>(block, [&](int j) { return key_row<T>(cache, l, j0 + j); }, nb, padded, g, D);
        for (int i = 0; i < G; ++i) scores_of_block(s[i], q + (h0 + i) * D, block, nb, padded, D, inv_sqrt_d);
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
        gather_block<T>(block, [&](int j) { return value_row<T>(cache, l, j0 + j); }, nb, nb, g, D);
        for (int i = 0; i < G; ++i) add_weighted_block(acc + (h0 + i) * D, s[i], block, nb, D);
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
