#include "engine/streamed_weights.h"

#include <sys/mman.h>

#include <algorithm>
#include <map>
#include <set>

#include "engine/bf16.h"
#include "engine/kernels.h"
#include "engine/model_impl.h"

namespace gptoss::engine {
namespace {

// The tensor holding `data`, with its file index.
struct Located {
  int file = 0;
  const TensorEntry* entry = nullptr;
};

std::map<const uint8_t*, Located> tensors_by_address(const Checkpoint& ckpt) {
  std::map<const uint8_t*, Located> out;
  for (size_t f = 0; f < ckpt.files.size(); ++f)
    for (const TensorEntry& t : ckpt.files[f]->header().tensors()) out[t.data] = {static_cast<int>(f), &t};
  return out;
}

template <class T>
const uint8_t* bytes_of(const T* p) {
  return reinterpret_cast<const uint8_t*>(p);
}

}  // namespace

std::vector<DenseTensor> dense_tensors(const Checkpoint& ckpt, bool with_unembed) {
  std::set<const uint8_t*> streamed = {bytes_of(ckpt.weights.embed.data)};
  if (!with_unembed) streamed.insert(bytes_of(ckpt.weights.unembed.data));
  for (const LayerWeights& lw : ckpt.weights.layers)
    for (const Mxfp4Experts* m : {&lw.mlp1, &lw.mlp2})
      streamed.insert({m->blocks, m->scales, bytes_of(m->bias)});
  std::vector<DenseTensor> out;
  for (const auto& [address, t] : tensors_by_address(ckpt))
    if (!streamed.count(address)) out.push_back({t.file, t.entry});
  return out;
}

uint64_t expert_slot_bytes(const LayerWeights& lw) {
  uint64_t bytes = 0;
  for (const Mxfp4Experts* m : {&lw.mlp1, &lw.mlp2})
    bytes += copy_region_bytes(m->expert_block_bytes()) + copy_region_bytes(m->expert_scale_bytes()) +
             copy_region_bytes(static_cast<uint64_t>(m->rows) * sizeof(uint16_t));
  return bytes;
}

StreamedWeights::StreamedWeights(const Checkpoint& ckpt, int slots, EvictionPolicy policy,
                                 const std::function<void(const LoadProgress&)>& progress, bool with_unembed)
    : weights_(ckpt.weights), H_(ckpt.config.hidden) {
  for (const auto& f : ckpt.files) readers_.push_back(std::make_unique<FileReader>(f->path()));

  // Dense tensors: copied, each keeping its offset modulo kReadAlign.
  const std::vector<DenseTensor> dense = dense_tensors(ckpt, with_unembed);
  for (const DenseTensor& t : dense) dense_bytes_ += copy_region_bytes(t.entry->data_bytes);
  void* m = mmap(nullptr, dense_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw LoadError(ckpt.info.dir + ": ram budget: cannot allocate " + std::to_string(dense_bytes_) +
                    " bytes");
  dense_ = static_cast<uint8_t*>(m);
  std::map<const uint8_t*, std::pair<uint64_t, const uint8_t*>> moved;  // mapped start -> (bytes, copy)
  uint64_t at = 0;
  for (const DenseTensor& t : dense) {
    const uint8_t* copy =
        readers_[t.file]->read(dense_ + at, t.entry->data_offset, t.entry->data_bytes, t.entry->name);
    moved[t.entry->data] = {t.entry->data_bytes, copy};
    at += copy_region_bytes(t.entry->data_bytes);
    if (progress) progress({"warming", static_cast<double>(at) / dense_bytes_});
  }
  // Every dense view points into one dense tensor (fused qkv rows included): move it.
  auto relocate = [&](auto*& p) {
    auto it = moved.upper_bound(bytes_of(p));
    --it;
    p = reinterpret_cast<std::remove_reference_t<decltype(p)>>(it->second.second + (bytes_of(p) - it->first));
  };
  for (LayerWeights& lw : weights_.layers) {
    for (Bf16Vector* v :
         {&lw.attn_norm, &lw.bq, &lw.bk, &lw.bv, &lw.sinks, &lw.bo, &lw.mlp_norm, &lw.router_bias})
      relocate(v->data);
    for (Bf16Matrix* mx : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.router}) relocate(mx->data);
  }
  relocate(weights_.final_norm.data);
  if (with_unembed)
    relocate(weights_.unembed.data);
  else
    weights_.unembed.data = nullptr;

  // Experts: where each piece of each expert lies.
  const auto by_address = tensors_by_address(ckpt);
  const Config& cfg = ckpt.config;
  const int L = cfg.n_layers, E = cfg.n_experts;
  std::vector<ExpertPiece> pieces;
  std::vector<std::string> names;
  for (int l = 0; l < L; ++l) {
    const LayerWeights& lw = ckpt.weights.layers[l];
    const Located where[kExpertPieces] = {
        by_address.at(lw.mlp1.blocks), by_address.at(lw.mlp1.scales), by_address.at(bytes_of(lw.mlp1.bias)),
        by_address.at(lw.mlp2.blocks), by_address.at(lw.mlp2.scales), by_address.at(bytes_of(lw.mlp2.bias))};
    for (const Located& w : where) names.push_back(w.entry->name);
    for (int e = 0; e < E; ++e)
      for (const Located& w : where) {
        const uint64_t each = w.entry->data_bytes / E;
        pieces.push_back({w.file, w.entry->data_offset + each * e, each});
      }
  }
  std::vector<const FileReader*> files;
  for (const auto& r : readers_) files.push_back(r.get());
  ExpertView shape = expert_view(ckpt.weights.layers[0], 0);
  cache_ = std::make_unique<ExpertCache>(files, std::move(pieces), std::move(names), shape, L, E, slots,
                                         /*io_threads=*/4, policy);

  const Located embed = by_address.at(bytes_of(ckpt.weights.embed.data));
  embed_file_ = embed.file;
  embed_offset_ = embed.entry->data_offset;
  embed_name_ = embed.entry->name;
  embed_region_.resize(copy_region_bytes(static_cast<uint64_t>(H_) * sizeof(uint16_t)) + kReadAlign);
}

StreamedWeights::~StreamedWeights() {
  cache_.reset();
  if (dense_) munmap(dense_, dense_bytes_);
}

void StreamedWeights::embedding_row_f32(float* x, int token, ExpertCounters& counters) const {
  const uint64_t row_bytes = static_cast<uint64_t>(H_) * sizeof(uint16_t);
  std::lock_guard<std::mutex> lock(embed_mu_);
  const uintptr_t start = reinterpret_cast<uintptr_t>(embed_region_.data());
  uint8_t* region = reinterpret_cast<uint8_t*>((start + kReadAlign - 1) / kReadAlign * kReadAlign);
  const uint8_t* row = readers_[embed_file_]->read(region, embed_offset_ + row_bytes * token, row_bytes,
                                                   embed_name_ + " (row " + std::to_string(token) + ")");
  widen_bf16_f32(x, reinterpret_cast<const uint16_t*>(row), H_);
  counters.disk_bytes += row_bytes;
}

LayerExperts::LayerExperts(const Model::Impl& model, int l, Activations& a, int n)
    : model_(model),
      cache_(model.stream ? &model.stream->experts() : nullptr),
      mapped_(model.weights().layers[l]),
      l_(l),
      a_(a),
      n_(n) {}

LayerExperts::~LayerExperts() {
  if (!cache_) return;
  if (n_taken_) cache_->give_back(l_, taken_, n_taken_);
  if (n_wanted_) cache_->cancel(l_, wanted_, n_wanted_);
}

void LayerExperts::request(const int* used, int n) {
  if (!cache_) return mapped_.request(used, n);
  wanted_ = a_.wanted.data();
  std::copy(used, used + n, wanted_);
  cache_->request(l_, used, n, a_.expert_counters);
  n_wanted_ = n;  // only once the cache counts them as wanted
  if (l_ + 1 < model_.cfg().n_layers) prefetch_next_layer();
}

int LayerExperts::take(int* ids, ExpertView* views) {
  if (!cache_) return mapped_.take(ids, views);
  const int n = cache_->take(l_, wanted_, &n_wanted_, ids, views);
  taken_ = ids;
  n_taken_ = n;
  return n;
}

void LayerExperts::give_back() {
  if (!cache_) return;
  cache_->give_back(l_, taken_, n_taken_);
  n_taken_ = 0;
}

void LayerExperts::prefetch_next_layer() {
  const Config& cfg = model_.cfg();
  const int H = cfg.hidden, E = cfg.n_experts, K = cfg.experts_per_token;
  const LayerWeights& next = model_.weights().layers[l_ + 1];
  // t' = rmsnorm(x, layer l+1's post_attention_layernorm); r' = Wr' t' + br'; its top-k. a.proj
  // and a.router are free here (the attention output is in x, this layer's routing is done).
  model_.kernels->rmsnorm_bf16w_f32(a_.proj.data(), a_.x.data(), next.mlp_norm.data, n_, H, cfg.rms_norm_eps);
  int n_guessed = 0;
  for (int i = 0; i < n_; ++i) {
    float* r = a_.router.data() + static_cast<size_t>(i) * E;
    model_.kernels->matvec_bf16w_f32(r, next.router, a_.proj.data() + static_cast<size_t>(i) * H, next.router_bias.data,
                     model_.threads);
    route_topk_f32(a_.guess_ids.data(), a_.guess_weights.data(), r, E, K);
    for (int k = 0; k < K; ++k) {
      const int e = a_.guess_ids[k];
      if (std::find(a_.guessed.begin(), a_.guessed.begin() + n_guessed, e) == a_.guessed.begin() + n_guessed)
        a_.guessed[n_guessed++] = e;
    }
  }
  cache_->prefetch(l_ + 1, a_.guessed.data(), n_guessed, a_.expert_counters);
}

}  // namespace gptoss::engine
