#include "engine/mxfp4_q8.h"

#include <cstring>

#include "engine/bf16.h"
#include "engine/mxfp4.h"
#include "engine/prefetch.h"
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"
// clang-format off: inside the target region, like the code below
#include "engine/dot_u8s8.h"
// clang-format on

namespace gptoss::engine::GPTOSS_KERNEL_NS {

namespace {

// The byte a code c stands for: 2 FP4[c] + kMxfp4Q8Offset, so that u8 x s8 dot products take it.
constexpr int8_t kOffsetFp4[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};
constexpr bool offset_table_matches_fp4() {
  for (int c = 0; c < 16; ++c)
    if (kOffsetFp4[c] != 2 * kFp4[c] + kMxfp4Q8Offset) return false;
  return true;
}
static_assert(offset_table_matches_fp4());

// A dword of a byte-shuffle control that keeps byte k of its 128-bit lane, zero-extended.
constexpr int pick_byte(int k) { return static_cast<int>(0xFFFFFF00u | static_cast<unsigned>(k)); }

// The scale bytes of blocks [b, b + count) of a row, zero past count (count <= 4): a whole 4-byte
// read could pass the end of the tensor on the last row.
inline uint32_t scale_bytes(const uint8_t* row_scales, int b, int count) {
  uint32_t v = 0;
  if (count == 4)
    std::memcpy(&v, row_scales + b, 4);  // one load
  else
    for (int i = 0; i < count; ++i) v |= static_cast<uint32_t>(row_scales[b + i]) << (8 * i);
  return v;
}

#if defined(GPTOSS_KERNEL_AVX512)

// A group's 4 weight blocks as the dot products take them: the code bytes of the low and high
// nibbles, and 2^(s-127) per lane.
struct GroupWeights {
  __m512i u_lo, u_hi;
  __m512 scale;
};

// w: the group's 64 code bytes; s_bytes: its 4 scale bytes, little-endian.
inline GroupWeights group_weights(__m512i w, uint32_t s_bytes) {
  const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kOffsetFp4)));
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  // Lane k's four dwords take scale byte k, zero-extended, into the exponent field (s = 0 gives
  // 0, not 2^-127: a block that small contributes nothing in f32 anyway).
  const __m512i spread = _mm512_set_epi32(pick_byte(3), pick_byte(3), pick_byte(3), pick_byte(3),  //
                                          pick_byte(2), pick_byte(2), pick_byte(2), pick_byte(2),  //
                                          pick_byte(1), pick_byte(1), pick_byte(1), pick_byte(1),  //
                                          pick_byte(0), pick_byte(0), pick_byte(0), pick_byte(0));
  const __m512i spread_bytes = _mm512_shuffle_epi8(_mm512_set1_epi32(static_cast<int>(s_bytes)), spread);
  return {_mm512_shuffle_epi8(table, _mm512_and_si512(w, nibble)),
          _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(w, 4), nibble)),
          _mm512_castsi512_ps(_mm512_slli_epi32(spread_bytes, 23))};
}

// One level of a token's group input: q for the low and high nibbles, and the offset.
struct LevelInput {
  __m512i lo, hi, offset;
};

inline LevelInput level_input(const uint8_t* level) {
  return {_mm512_loadu_si512(level), _mm512_loadu_si512(level + 64), _mm512_loadu_si512(level + 192)};
}

// One level's integer sums per lane: its offset plus the low and high nibbles' dot products
// (dot_u8s8.h; |pair sums| <= 2 * 24 * 127 = 6096, so vpmaddubsw never saturates).
template <bool kVnni>
inline __m512i level_sums(const LevelInput& x, const GroupWeights& w) {
  return dot_u8s8<kVnni>(dot_u8s8<kVnni>(x.offset, w.u_lo, x.lo), w.u_hi, x.hi);
}

// R rows x NT tokens; a group of 4 blocks (64 weight bytes per row) per step. Several rows share
// each load of a token's inputs: with one row, prefill re-read them from L2 for every row and
// was bound by that. Each (row, token)'s arithmetic is the same whatever R and NT are, so the
// batch size never changes a result.
template <int R, int NT, bool kVnni, int kLevels>
inline void q8_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                    int rows, int cols, const uint8_t* xq, size_t stride, int t0) {
  const int nb = cols / kMxfp4BlockCols;
  __m512 acc[R][NT];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < NT; ++t) acc[i][t] = _mm512_setzero_ps();
  auto group = [&](int g, const GroupWeights(&w)[R]) {
    for (int t = 0; t < NT; ++t) {
      const uint8_t* x =
          xq + static_cast<size_t>(t0 + t) * stride + static_cast<size_t>(g) * kMxfp4Q8GroupBytes * kLevels;
      const LevelInput x1 = level_input(x);
      const __m512 x_scale = _mm512_loadu_ps(reinterpret_cast<const float*>(x + 128));
      if constexpr (kLevels == 1) {
        for (int i = 0; i < R; ++i) {
          const __m512i sums = level_sums<kVnni>(x1, w[i]);
          acc[i][t] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(w[i].scale, x_scale), acc[i][t]);
        }
      } else {
        const LevelInput x2 = level_input(x + kMxfp4Q8GroupBytes);
        for (int i = 0; i < R; ++i) {  // 256 q1 + q2
          const __m512i sums = _mm512_add_epi32(_mm512_slli_epi32(level_sums<kVnni>(x1, w[i]), 8),
                                                level_sums<kVnni>(x2, w[i]));
          acc[i][t] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(w[i].scale, x_scale), acc[i][t]);
        }
      }
    }
  };
  const int full = nb / kMxfp4Q8GroupBlocks;
  for (int g = 0; g < full; ++g) {
    GroupWeights w[R];
    for (int i = 0; i < R; ++i) {
      const uint8_t* wb = blocks + static_cast<size_t>(r + i) * cols / 2 +
                          static_cast<size_t>(g) * kMxfp4Q8GroupBlocks * kMxfp4BlockBytes;
      prefetch_stream(wb);
      w[i] = group_weights(_mm512_loadu_si512(wb), scale_bytes(scales + static_cast<size_t>(r + i) * nb,
                                                               g * kMxfp4Q8GroupBlocks, kMxfp4Q8GroupBlocks));
    }
    group(g, w);
  }
  if (const int count = nb - full * kMxfp4Q8GroupBlocks; count > 0) {
    // The last group's missing blocks are zero bytes (masked: they may lie past the tensor's end).
    const int b = full * kMxfp4Q8GroupBlocks;
    GroupWeights w[R];
    for (int i = 0; i < R; ++i) {
      const uint8_t* wb =
          blocks + static_cast<size_t>(r + i) * cols / 2 + static_cast<size_t>(b) * kMxfp4BlockBytes;
      w[i] = group_weights(_mm512_maskz_loadu_epi8(~0ULL >> (64 - 16 * count), wb),
                           scale_bytes(scales + static_cast<size_t>(r + i) * nb, b, count));
    }
    group(full, w);
  }
  for (int i = 0; i < R; ++i) {
    const float bv = bias ? bf16_to_f32(bias[r + i]) : 0.0f;
    for (int t = 0; t < NT; ++t)
      out[static_cast<size_t>(t0 + t) * rows + r + i] = _mm512_reduce_add_ps(acc[i][t]) + bv;
  }
}

constexpr int kTileRows = 2;

#elif defined(GPTOSS_KERNEL_AVX2)

inline __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// One level's integer sums per lane (half a group): offset plus both nibbles' dot products.
// |pair sums| <= 2 * 24 * 127 = 6096: vpmaddubsw never saturates.
inline __m256i level_sums(const uint8_t* level, __m256i u_lo, __m256i u_hi) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i lo = _mm256_madd_epi16(_mm256_maddubs_epi16(u_lo, load256(level)), ones);
  const __m256i hi = _mm256_madd_epi16(_mm256_maddubs_epi16(u_hi, load256(level + 64)), ones);
  return _mm256_add_epi32(_mm256_add_epi32(lo, hi), load256(level + 192));
}

// Laptops without AVX-512: half a group (2 blocks, 32 weight bytes) per step, vpmaddubsw + vpmaddwd.
template <int R, int NT, bool kVnni, int kLevels>
inline void q8_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                    int rows, int cols, const uint8_t* xq, size_t stride, int t0) {
  static_assert(!kVnni, "no VNNI table for AVX2");
  static_assert(R == 1, "16 registers: one row at a time");
  const int nb = cols / kMxfp4BlockCols;
  const uint8_t* row_blocks = blocks + static_cast<size_t>(r) * cols / 2;
  const uint8_t* row_scales = scales + static_cast<size_t>(r) * nb;
  const __m256i table =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kOffsetFp4)));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i spread = _mm256_set_epi32(pick_byte(1), pick_byte(1), pick_byte(1), pick_byte(1),  //
                                          pick_byte(0), pick_byte(0), pick_byte(0), pick_byte(0));
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int b = 0; b < nb; b += 2) {
    const int count = nb - b < 2 ? 1 : 2;
    const uint8_t* wb = row_blocks + static_cast<size_t>(b) * kMxfp4BlockBytes;
    if ((b & 3) == 0) prefetch_stream(wb);
    const __m256i w = count == 2
                          ? load256(wb)
                          : _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wb)));
    const __m256i u_lo = _mm256_shuffle_epi8(table, _mm256_and_si256(w, nibble));
    const __m256i u_hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(w, 4), nibble));
    const __m256i s_bytes = _mm256_set1_epi32(static_cast<int>(scale_bytes(row_scales, b, count)));
    const __m256 w_scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_shuffle_epi8(s_bytes, spread), 23));
    // This half's 32 bytes of lo, hi, scale and offset: the second half of its group's arrays.
    const size_t at =
        static_cast<size_t>(b / kMxfp4Q8GroupBlocks) * kMxfp4Q8GroupBytes * kLevels + (b % 4 == 2 ? 32 : 0);
    for (int t = 0; t < NT; ++t) {
      const uint8_t* x = xq + static_cast<size_t>(t0 + t) * stride + at;
      __m256i sums = level_sums(x, u_lo, u_hi);
      if constexpr (kLevels == 2)  // 256 q1 + q2
        sums = _mm256_add_epi32(_mm256_slli_epi32(sums, 8), level_sums(x + kMxfp4Q8GroupBytes, u_lo, u_hi));
      const __m256 scale = _mm256_mul_ps(w_scale, _mm256_loadu_ps(reinterpret_cast<const float*>(x + 128)));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[t]);
    }
  }
  const float bv = bias ? bf16_to_f32(bias[r]) : 0.0f;
  for (int t = 0; t < NT; ++t) {
    const __m128 four = _mm_add_ps(_mm256_castps256_ps128(acc[t]), _mm256_extractf128_ps(acc[t], 1));
    const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
    out[static_cast<size_t>(t0 + t) * rows + r] =
        _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1))) + bv;
  }
}

constexpr int kTileRows = 1;

#else

// Portable: the same integer sums, one block at a time.
template <int R, int NT, bool kVnni, int kLevels>
inline void q8_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int r,
                    int rows, int cols, const uint8_t* xq, size_t stride, int t0) {
  static_assert(R == 1);
  const int nb = cols / kMxfp4BlockCols;
  const uint8_t* row_blocks = blocks + static_cast<size_t>(r) * cols / 2;
  const uint8_t* row_scales = scales + static_cast<size_t>(r) * nb;
  for (int t = 0; t < NT; ++t) {
    const uint8_t* x = xq + static_cast<size_t>(t0 + t) * stride;
    float sum = 0.0f;
    for (int b = 0; b < nb; ++b) {
      const uint8_t* group = x + static_cast<size_t>(b / kMxfp4Q8GroupBlocks) * kMxfp4Q8GroupBytes * kLevels;
      const int k = b % kMxfp4Q8GroupBlocks;
      const uint8_t* blk = row_blocks + static_cast<size_t>(b) * kMxfp4BlockBytes;
      int32_t dot = 0;
      for (int level = 0; level < kLevels; ++level) {
        const uint8_t* at = group + level * kMxfp4Q8GroupBytes;
        const int8_t* lo = reinterpret_cast<const int8_t*>(at) + 16 * k;
        const int8_t* hi = lo + 64;
        int32_t sum;
        std::memcpy(&sum, at + 192 + 16 * k, 4);
        for (int i = 0; i < 16; ++i)
          sum += kOffsetFp4[blk[i] & 0x0F] * lo[i] + kOffsetFp4[blk[i] >> 4] * hi[i];
        dot = dot * 256 + sum;  // 256 q1 + q2
      }
      float d;
      std::memcpy(&d, group + 128 + 16 * k, 4);
      sum += static_cast<float>(dot) * (mxfp4_scale(row_scales[b]) * d);
    }
    out[static_cast<size_t>(t0 + t) * rows + r] = sum + (bias ? bf16_to_f32(bias[r]) : 0.0f);
  }
}

constexpr int kTileRows = 1;

#endif

constexpr int kTokensPerTile = 4;

// Rows [r, r + R) for all n tokens: tiles of 8, then 4, then 1 token.
template <int R, bool kVnni, int kLevels>
void q8_row_tile(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int rows,
                 int cols, const uint8_t* xq, size_t stride, int n, int r) {
  int t0 = 0;
  for (; t0 + 2 * kTokensPerTile <= n; t0 += 2 * kTokensPerTile)
    q8_tile<R, 2 * kTokensPerTile, kVnni, kLevels>(out, blocks, scales, bias, r, rows, cols, xq, stride, t0);
  for (; t0 + kTokensPerTile <= n; t0 += kTokensPerTile)
    q8_tile<R, kTokensPerTile, kVnni, kLevels>(out, blocks, scales, bias, r, rows, cols, xq, stride, t0);
  for (; t0 < n; ++t0)
    q8_tile<R, 1, kVnni, kLevels>(out, blocks, scales, bias, r, rows, cols, xq, stride, t0);
}

template <bool kVnni, int kLevels>
void q8_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int rows,
             int cols, const uint8_t* xq, int n, int row_begin, int row_end) {
  const size_t stride = mxfp4_q8_input_bytes(cols, kLevels);
  int r = row_begin;
  // Several rows per tile pay when there are tokens to share the inputs of; one token (decode)
  // streams best one row at a time (measured: 20.6 against 18.9 GB/s).
  if (n >= kTokensPerTile)
    for (; r + kTileRows <= row_end; r += kTileRows)
      q8_row_tile<kTileRows, kVnni, kLevels>(out, blocks, scales, bias, rows, cols, xq, stride, n, r);
  for (; r < row_end; ++r)
    q8_row_tile<1, kVnni, kLevels>(out, blocks, scales, bias, rows, cols, xq, stride, n, r);
}

template <bool kVnni>
void q8_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, int rows,
             int cols, const uint8_t* xq, int levels, int n, int row_begin, int row_end) {
  if (levels == 2)
    q8_rows<kVnni, 2>(out, blocks, scales, bias, rows, cols, xq, n, row_begin, row_end);
  else
    q8_rows<kVnni, 1>(out, blocks, scales, bias, rows, cols, xq, n, row_begin, row_end);
}

}  // namespace

void matmul_mxfp4w_q8_rows(float* out, const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias,
                           int rows, int cols, const uint8_t* xq, int levels, int n, int row_begin,
                           int row_end) {
  q8_rows<false>(out, blocks, scales, bias, rows, cols, xq, levels, n, row_begin, row_end);
}

#if defined(GPTOSS_KERNEL_AVX512)
void matmul_mxfp4w_q8_rows_vnni(float* out, const uint8_t* blocks, const uint8_t* scales,
                                const uint16_t* bias, int rows, int cols, const uint8_t* xq, int levels,
                                int n, int row_begin, int row_end) {
  q8_rows<true>(out, blocks, scales, bias, rows, cols, xq, levels, n, row_begin, row_end);
}
#endif

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
