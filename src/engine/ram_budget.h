// The RAM budget: what the memory of a loaded model is made of, and whether it fits mapped or
// must stream its experts (engine-internal; parsing and detection are declared in engine.h).
#pragma once

#include <cstdint>

#include "engine/checkpoint.h"

namespace gptoss::engine {

// The program beside the model: code, tokenizer, OpenBLAS buffers, thread stacks, the UI.
inline constexpr uint64_t kProgramBytes = 192ull << 20;

// What a model needs, by part (bytes).
struct MemoryNeeds {
  uint64_t file_bytes = 0;     // the whole checkpoint (what the mapped path ends up holding)
  uint64_t dense_bytes = 0;    // attention, router, norms, sinks, unembedding: copied when streaming
                               // (fast: the unembedding's 8-bit copy instead of its bf16)
  uint64_t q8_bytes = 0;       // fast: the unembedding in 8-bit blocks, our own memory in both modes
  uint64_t q8_replaced = 0;    // fast: the unembedding's bf16 bytes in the file, not read after load
  uint64_t kv_bytes = 0;       // one Context of LoadOptions::context_tokens (bf16 in fast, else f32)
  uint64_t scratch_bytes = 0;  // its Activations
  uint64_t slot_bytes = 0;     // one expert's slot (mlp1 + mlp2 blocks, scales, biases, alignment)
  int experts = 0;             // L * E
  int min_slots = 0;           // K: one token's experts of one layer
  // Everything but the expert slots, when streaming.
  uint64_t streaming_fixed() const { return kProgramBytes + dense_bytes + kv_bytes + scratch_bytes; }
  uint64_t min_streaming() const { return streaming_fixed() + min_slots * slot_bytes; }
  // Mapped, fast: the unembedding's file pages are read once, at load, and left to the page
  // cache to drop; its 8-bit copy is held instead.
  uint64_t mapped() const {
    return kProgramBytes + file_bytes - q8_replaced + q8_bytes + kv_bytes + scratch_bytes;
  }
};

MemoryNeeds memory_needs(const Checkpoint& ckpt, int context_tokens, int threads,
                         Precision precision = Precision::kExact);

struct MemoryPlan {
  bool streaming = false;
  int slots = 0;  // streaming: expert slots, at most needs.experts
};

// Mapped when there is no budget or everything fits in it; else as many slots as fit. Throws
// LoadError "<dir>: ram budget: too small ... (expected at least X, found Y)" below
// needs.min_streaming().
MemoryPlan plan_memory(const MemoryNeeds& needs, uint64_t budget, const std::string& dir);

// "3.2 GiB"
std::string format_gib(uint64_t bytes);

}  // namespace gptoss::engine
