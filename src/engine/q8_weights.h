// The `fast` profile's copy of the unembedding in 8-bit blocks (matvec_q8.h), converted once at
// load into anonymous memory of our own, so decode reads 36/64 of its bf16 bytes (on the 20b,
// 1.16 GB of 3.71 per token become 0.65). The attention matrices stay bf16: in 8-bit blocks they
// put the tiny model outside the precision band (tests/engine/precision_band_test.cc; max logit
// error 0.75 against 2 x 0.234 allowed, mean KL 5.4e-4 against 2 x 1.2e-4; with f32 activations
// 1.34 and 1.1e-3), the unembedding alone does not.
#pragma once

#include <cstdint>

#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/matvec_q8.h"
#include "engine/weights.h"

namespace gptoss::engine {

// Whether a model of these weights opened with `precision` keeps the 8-bit copy: fast, and the
// shapes fit (Q8Weights::fits).
bool uses_q8_unembed(const Weights& w, Precision precision);

class Q8Weights {
 public:
  // Quantises w.unembed with kernels.quantize_q8_f32 (OpenMP over rows). Throws
  // gptoss::Error when the memory cannot be had.
  Q8Weights(const Weights& w, const Kernels& kernels, int threads);
  ~Q8Weights();
  Q8Weights(const Q8Weights&) = delete;
  Q8Weights& operator=(const Q8Weights&) = delete;

  // Whether the unembedding has a multiple of 32 columns (H; all gpt-oss shapes do).
  static bool fits(const Weights& w);
  // Bytes the copy of `w` takes (int8 values and f32 scales), and the bf16 bytes it replaces.
  static uint64_t bytes_for(const Weights& w);
  static uint64_t replaced_bf16_bytes(const Weights& w);

  const Q8Matrix& unembed() const { return unembed_; }  // [V, H]
  uint64_t bytes() const { return bytes_; }

 private:
  uint8_t* memory_ = nullptr;  // anonymous mapping of bytes_ (huge pages advised)
  uint64_t bytes_ = 0;
  Q8Matrix unembed_;
};

}  // namespace gptoss::engine
