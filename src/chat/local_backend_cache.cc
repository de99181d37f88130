// LocalBackend's side of a saved session's cache: the engine's KV cache file, keys and values in
// bf16 (half of f32; the rounding's effect is measured in tests/engine/kv_file_test.cc).
#include <algorithm>

#include "chat/local_backend.h"
#include "engine/engine.h"

namespace gptoss::chat {

std::string LocalBackend::export_cache(std::span<const int32_t> conversation) const {
  if (!context_) return {};
  const std::vector<int32_t>& held = context_->tokens();
  const size_t n = std::min(held.size(), conversation.size());
  const size_t common = static_cast<size_t>(
      std::mismatch(held.begin(), held.begin() + n, conversation.begin()).first - held.begin());
  return common == 0 ? std::string() : context_->save_kv(common, engine::KvDtype::kBf16);
}

uint64_t LocalBackend::cache_file_limit(int context_tokens) {
  ensure_context(context_tokens);
  return context_->kv_file_bytes(context_->capacity(), engine::KvDtype::kF32);
}

size_t LocalBackend::import_cache(std::span<const uint8_t> bytes, std::span<const int32_t> conversation,
                                  int context_tokens, const std::string& source) {
  ensure_context(context_tokens);
  return context_->restore_kv(bytes, conversation, source);
}

}  // namespace gptoss::chat
