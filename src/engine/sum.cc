#include "engine/sum.h"

#include <omp.h>

// Last: everything below is compiled for this copy's target.
#include "engine/kernel_target_begin.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

double sum_f32(const float* x, size_t n, int threads) {
  double total = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  {
    // Contiguous slices, one per thread: each a single stream for the prefetcher.
    const size_t parts = static_cast<size_t>(omp_get_num_threads()), part = omp_get_thread_num();
    const size_t begin = n * part / parts, end = n * (part + 1) / parts;
    // 128 partial sums (8 vectors of 16 on AVX-512) keep the adds independent; `omp simd` vectorises.
    constexpr size_t kLanes = 128;
    float acc[kLanes] = {};
    size_t i = begin;
    for (; i + kLanes <= end; i += kLanes)
#pragma omp simd
      for (size_t j = 0; j < kLanes; ++j) acc[j] += x[i + j];
    double slice = 0.0;
    for (size_t j = 0; j < kLanes; ++j) slice += acc[j];
    for (; i < end; ++i) slice += x[i];
    total += slice;
  }
  return total;
}

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS

#include "engine/kernel_target_end.h"
