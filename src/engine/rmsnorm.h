// RMS norm (model.md): t = x / sqrt(mean(x^2) + eps) * w, f32 in and out. Called through Kernels
// (kernels.h), one copy per target.
#pragma once

#include <cstdint>

namespace gptoss::engine {

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// out[t, :] = rmsnorm(x[t, :]) * w for t < n rows of size H; w [H] bf16. The mean of squares is
// summed in double (cheap at H values per row, and it keeps long rows exact).
void rmsnorm_bf16w_f32(float* out, const float* x, const uint16_t* w, int n, int H, float eps);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
