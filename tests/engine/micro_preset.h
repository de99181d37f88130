// The micro test model: the tiny preset with 2 layers and a 512-entry vocabulary, so its files
// are a few hundred KB and cheap to write, damage and compare. Not a product preset: the
// tokenizer needs the real vocabulary, so only loader tests use it.
#pragma once

#include "engine/test_model.h"

namespace gptoss::engine {

inline TestModelPreset micro_preset() {
  TestModelPreset p = *find_test_model_preset("tiny");
  p.name = "micro";
  p.n_layers = 2;
  p.vocab = 512;
  return p;
}

// The micro model with a vocabulary large enough (32768 rows, 4 MiB of embedding) that its mapped
// size exceeds the streaming minimum (expert_cache_test, ram_budget_test), whose slots carry
// 4 KiB of alignment per piece.
inline TestModelPreset streamable_preset() {
  TestModelPreset p = micro_preset();
  p.vocab = 32768;
  return p;
}

}  // namespace gptoss::engine
