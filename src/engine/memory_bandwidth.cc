// measure_read_bandwidth (engine.h): what a token's bytes are compared with in `bench`.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

#include "engine/cpu_cores.h"
#include "engine/engine.h"
#include "engine/kernels.h"

namespace gptoss::engine {

double measure_read_bandwidth(int threads, size_t bytes, int repeats) {
  if (threads <= 0) threads = physical_cores();
  const char* forced = std::getenv("GPTOSS_KERNELS");
  const Kernels& kernels = kernels_for(choose_kernel_target(forced ? forced : ""));
  const size_t n = bytes / sizeof(float);
  std::unique_ptr<float[]> buffer(new float[n]);
  // Written by the same threads and slices that read it, so pages sit where they are read.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t i = 0; i < n; ++i) buffer[i] = 1.0f;
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double sum = kernels.sum_f32(buffer.get(), n, threads);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (sum != static_cast<double>(n)) return 0.0;  // cannot happen; keeps the sum live
    rates.push_back(static_cast<double>(n * sizeof(float)) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace gptoss::engine
