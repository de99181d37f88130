// The safetensors header parser on arbitrary file bytes: it refuses with SafetensorsError or hands
// out entries that lie inside the bytes, never anything else.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "engine/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gptoss::engine;
  try {
    const SafetensorsHeader header = SafetensorsHeader::parse(std::span(data, size), "fuzz.safetensors");
    for (const TensorEntry& t : header.tensors()) {
      // What the checks promise: every entry's bytes are inside the input.
      if (t.data < data || t.data_bytes > size || t.data + t.data_bytes > data + size) std::abort();
      if (header.find(t.name) == nullptr) std::abort();
    }
  } catch (const SafetensorsError&) {
  }
  return 0;
}
