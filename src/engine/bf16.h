// bf16 <-> f32. A bf16 is the top half of an f32, so widening is exact: a shift; narrowing
// rounds to the nearest bf16, ties to even.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gptoss::engine {

inline float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// f32 -> the nearest bf16, ties to even (a NaN stays non-finite). For the fast KV cache.
inline uint16_t f32_to_bf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

// out[i] = in[i] widened, i < n. The loop vectorises at -O3.
inline void widen_bf16_f32(float* out, const uint16_t* in, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
}

}  // namespace gptoss::engine
