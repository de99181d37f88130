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

}  // namespace gptoss::engine
