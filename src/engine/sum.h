// A plain sum of floats: the read loop that measures memory bandwidth (memory_bandwidth.cc).
// Called through Kernels (kernels.h), one copy per target.
#pragma once

#include <cstddef>

namespace gptoss::engine {

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// sum_i x[i], i < n, in any order; OpenMP over contiguous slices.
double sum_f32(const float* x, size_t n, int threads);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
