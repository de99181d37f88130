// Streaming mode (a RAM budget smaller than the checkpoint): the dense weights every token
// reads are copied into memory of our own, the embedding is read one row per token, and the
// experts come through the ExpertCache.
//
// Why copy the dense weights instead of keeping them mapped: under the budget the page cache
// the mapping fills is charged to our cgroup like our own memory, but the kernel may drop it
// under pressure and fault it back in 4 KiB at a time, and a file truncated after loading would
// turn each such fault into SIGBUS. Copied, they are charged once, stay put, and the only reads
// of the file after loading are explicit preads whose failure is an error, not a crash. The copy
// costs one sequential read of ~2.4 GB (20b) at load; the mapping is never touched again.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/expert_cache.h"
#include "engine/forward.h"
#include "engine/safetensors.h"

namespace gptoss::engine {

// A tensor the forward pass reads whole for every token: not the embedding, not an expert, and
// not the unembedding unless `with_unembed` (fast keeps it in 8-bit blocks instead, q8_weights.h).
struct DenseTensor {
  int file = 0;  // index into Checkpoint::files
  const TensorEntry* entry = nullptr;
};
std::vector<DenseTensor> dense_tensors(const Checkpoint& ckpt, bool with_unembed = true);

// Bytes of one expert slot for the experts of `lw`.
uint64_t expert_slot_bytes(const LayerWeights& lw);

class StreamedWeights {
 public:
  // Copies the dense tensors of `ckpt` (reported as stage "warming"; the unembedding only if
  // `with_unembed`, else its view is null) and makes an expert cache of `slots` slots evicted by
  // `policy`. Throws gptoss::Error naming the file and tensor when a read fails.
  StreamedWeights(const Checkpoint& ckpt, int slots, EvictionPolicy policy,
                  const std::function<void(const LoadProgress&)>& progress, bool with_unembed = true);
  ~StreamedWeights();
  StreamedWeights(const StreamedWeights&) = delete;
  StreamedWeights& operator=(const StreamedWeights&) = delete;

  // Dense views into the copy; embedding and expert pointers still name the mapping and are
  // never read.
  const Weights& weights() const { return weights_; }
  ExpertCache& experts() const { return *cache_; }
  uint64_t resident_bytes() const { return dense_bytes_; }

  // x [H] = embedding row `token`, read from disk. Thread-safe. Throws gptoss::Error on a failed read.
  void embedding_row_f32(float* x, int token, ExpertCounters& counters) const;

 private:
  std::vector<std::unique_ptr<FileReader>> readers_;  // one per checkpoint file
  uint8_t* dense_ = nullptr;                          // anonymous, page-aligned
  uint64_t dense_bytes_ = 0;
  Weights weights_;
  std::unique_ptr<ExpertCache> cache_;
  int embed_file_ = 0;
  uint64_t embed_offset_ = 0;  // file position of row 0
  std::string embed_name_;
  int H_ = 0;
  mutable std::mutex embed_mu_;
  mutable std::vector<uint8_t> embed_region_;  // copy_region_bytes(2H) + kReadAlign, aligned inside
};

// The experts one layer's batch picked, for moe_experts_f32: from the mapping, or from the cache
// when streaming, where requesting them also prefetches layer l + 1's guessed experts: layer l +
// 1's router applied to the current residual stream (speculative routing).
class LayerExperts : public ExpertSupply {
 public:
  // `a` holds the batch's x (the residual before this layer's MoE) and scratch for the guess.
  LayerExperts(const Model::Impl& model, int l, Activations& a, int n);
  // Cancels what was requested and not taken, gives back what was taken (a batch abandoned on error).
  ~LayerExperts() override;
  void request(const int* used, int n) override;
  int take(int* ids, ExpertView* views) override;
  void give_back() override;

 private:
  void prefetch_next_layer();

  const Model::Impl& model_;
  ExpertCache* cache_;  // null when mapped
  MappedExperts mapped_;
  int l_;
  Activations& a_;
  int n_;
  int* wanted_ = nullptr;  // requested, not yet taken (a_.moe.used, compacted by take)
  int n_wanted_ = 0;
  const int* taken_ = nullptr;
  int n_taken_ = 0;
};

}  // namespace gptoss::engine
