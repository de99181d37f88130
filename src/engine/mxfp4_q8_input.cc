// The inputs of the MXFP4 x int8 kernels (layout in mxfp4_q8.h), written in plain loops: they are
// built once per token and matrix, against rows x cols multiply-adds in the kernel.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/mxfp4.h"
#include "engine/mxfp4_q8.h"

namespace gptoss::engine {

namespace {

// One level of block k of a group: lo, hi and the offset; returns nothing, writes `level`.
void put_level(uint8_t* level, int k, const int8_t (&q)[32]) {
  int8_t* lo = reinterpret_cast<int8_t*>(level) + 16 * k;
  int8_t* hi = lo + 64;
  int32_t sum = 0;
  for (int i = 0; i < 16; ++i) {
    lo[i] = q[2 * i];
    hi[i] = q[2 * i + 1];
    sum += lo[i] + hi[i];
  }
  const int32_t offset = -kMxfp4Q8Offset * sum;
  std::memcpy(level + 192 + 16 * k, &offset, 4);
}

}  // namespace

void quantize_mxfp4_input_q8(uint8_t* out, const float* x, int cols, int levels) {
  std::memset(out, 0, mxfp4_q8_input_bytes(cols, levels));
  const int nb = cols / kMxfp4BlockCols;
  for (int b = 0; b < nb; ++b) {
    const float* xb = x + static_cast<size_t>(b) * kMxfp4BlockCols;
    float amax = 0.0f;
    for (int c = 0; c < kMxfp4BlockCols; ++c) amax = std::max(amax, std::abs(xb[c]));
    const float d = amax / 127.0f;
    const float inverse = d > 0.0f ? 1.0f / d : 0.0f;
    int8_t q1[32], q2[32];
    for (int c = 0; c < kMxfp4BlockCols; ++c) {
      const float v = xb[c] * inverse;
      const float r = std::nearbyint(v);
      q1[c] = static_cast<int8_t>(r);
      q2[c] = static_cast<int8_t>(std::clamp(std::nearbyint((v - r) * 256.0f), -127.0f, 127.0f));
    }
    uint8_t* group = out + static_cast<size_t>(b / kMxfp4Q8GroupBlocks) * kMxfp4Q8GroupBytes * levels;
    const int k = b % kMxfp4Q8GroupBlocks;
    put_level(group, k, q1);
    if (levels == 2) put_level(group + kMxfp4Q8GroupBytes, k, q2);
    const float scale = levels == 2 ? d / 512.0f : d / 2.0f;
    for (int j = 0; j < 4; ++j) std::memcpy(group + 128 + 16 * k + 4 * j, &scale, 4);
  }
}

}  // namespace gptoss::engine
