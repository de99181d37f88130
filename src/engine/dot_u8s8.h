// The int8 dot-product step both 8-bit kernels share (matvec_q8.cc, mxfp4_q8.cc). Include it
// after kernel_target_begin.h: it is compiled for the including copy's target.
#pragma once

#if defined(GPTOSS_KERNEL_AVX512)

namespace gptoss::engine::GPTOSS_KERNEL_NS {

// acc + the sums of 4 adjacent u8 x s8 products, per 32-bit lane, exact as long as each pair of
// products fits int16 (both callers' operands keep |pair| <= 2 * 127 * 127 < 2^15). With VNNI one
// vpdpbusd, written as inline assembly so that one body serves the VNNI and non-VNNI AVX-512
// tables: an intrinsic would need the whole caller compiled for VNNI, which the AVX-512 table must
// not require. Without: vpmaddubsw + vpmaddwd, the same integers.
template <bool kVnni>
inline __m512i dot_u8s8(__m512i acc, __m512i u, __m512i s) {
  if constexpr (kVnni) {
    asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
    return acc;
  } else {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
  }
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#endif
