#include "engine/q8_weights.h"

#include <sys/mman.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "engine/bf16.h"

namespace gptoss::engine {
namespace {

// The matrices converted (one today; sizing and filling walk the same list).
std::vector<const Bf16Matrix*> converted(const Weights& w) { return {&w.unembed}; }

// int8 values then f32 scales, each rounded up to 64 bytes (a cache line, an AVX-512 load).
uint64_t values_bytes(const Bf16Matrix& m) { return (static_cast<uint64_t>(m.rows) * m.cols + 63) / 64 * 64; }
uint64_t scales_bytes(const Bf16Matrix& m) {
  return (static_cast<uint64_t>(m.rows) * (m.cols / kQ8Block) * sizeof(float) + 63) / 64 * 64;
}

}  // namespace

bool uses_q8_unembed(const Weights& w, Precision precision) {
  return precision == Precision::kFast && Q8Weights::fits(w);
}

bool Q8Weights::fits(const Weights& w) {
  for (const Bf16Matrix* m : converted(w))
    if (m->cols % kQ8Block != 0) return false;
  return true;
}

uint64_t Q8Weights::bytes_for(const Weights& w) {
  uint64_t bytes = 0;
  for (const Bf16Matrix* m : converted(w)) bytes += values_bytes(*m) + scales_bytes(*m);
  return bytes;
}

uint64_t Q8Weights::replaced_bf16_bytes(const Weights& w) {
  uint64_t bytes = 0;
  for (const Bf16Matrix* m : converted(w))
    bytes += static_cast<uint64_t>(m->rows) * m->cols * sizeof(uint16_t);
  return bytes;
}

Q8Weights::Q8Weights(const Weights& w, const Kernels& kernels, int threads) : bytes_(bytes_for(w)) {
  void* m = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw gptoss::Error("fast precision: cannot allocate " + std::to_string(bytes_) +
                        " bytes for the 8-bit dense weights");
  memory_ = static_cast<uint8_t*>(m);
  madvise(memory_, bytes_, MADV_HUGEPAGE);  // advice: fewer TLB misses where THP is on

  uint64_t at = 0;
  auto convert = [&](const Bf16Matrix& src) {
    int8_t* q = reinterpret_cast<int8_t*>(memory_ + at);
    at += values_bytes(src);
    float* scales = reinterpret_cast<float*>(memory_ + at);
    at += scales_bytes(src);
    const size_t cols = src.cols, blocks = cols / kQ8Block;
#pragma omp parallel num_threads(threads)
    {
      std::vector<float> row(cols);  // one widened row per thread
#pragma omp for schedule(static)
      for (int r = 0; r < src.rows; ++r) {
        widen_bf16_f32(row.data(), src.row(r), cols);
        kernels.quantize_q8_f32(q + r * cols, scales + r * blocks, row.data(), cols);
      }
    }
    return Q8Matrix{q, scales, src.rows, src.cols};
  };
  unembed_ = convert(w.unembed);
}

Q8Weights::~Q8Weights() {
  if (memory_) munmap(memory_, bytes_);
}

}  // namespace gptoss::engine
