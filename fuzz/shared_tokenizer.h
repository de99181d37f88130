// The vocabulary, loaded once per fuzz process (loading takes far longer than one input).
#pragma once

#include <memory>

#include "tokenizer/tokenizer.h"

inline const gptoss::tokenizer::Tokenizer& shared_tokenizer() {
  static const std::shared_ptr<const gptoss::tokenizer::Tokenizer> loaded =
      gptoss::tokenizer::Tokenizer::load_default();
  return *loaded;
}
