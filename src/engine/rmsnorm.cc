#include "engine/rmsnorm.h"

#include <cmath>
#include <cstddef>

#include "engine/bf16.h"
// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

void rmsnorm_bf16w_f32(float* out, const float* x, const uint16_t* w, int n, int H, float eps) {
  for (int t = 0; t < n; ++t) {
    const float* xt = x + static_cast<size_t>(t) * H;
    float* ot = out + static_cast<size_t>(t) * H;
    double sum_sq = 0.0;
#pragma omp simd reduction(+ : sum_sq)
    for (int i = 0; i < H; ++i) sum_sq += static_cast<double>(xt[i]) * xt[i];
    const float inv_rms = static_cast<float>(1.0 / std::sqrt(sum_sq / H + eps));
#pragma omp simd
    for (int i = 0; i < H; ++i) ot[i] = xt[i] * inv_rms * bf16_to_f32(w[i]);
  }
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
