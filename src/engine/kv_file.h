// The KV cache file (docs/kv-cache-format.md): a Context's token ids and the keys and values a
// continuation needs, so that a saved conversation resumes without a prefill. Little-endian:
//
//   header   magic "GPTOSSKV", u32 version, u32 dtype, u64 fingerprint, u32 L, NKV, D, W, u64 n
//   kept     u32 [L]        positions stored per layer: n on full layers, min(n, W) on sliding ones
//   tokens   i32 [n]
//   data     per layer l:   K [kept_l, NKV * D], then V [kept_l, NKV * D], in dtype (positions
//                           n - kept_l .. n - 1, in order)
//   checksum u64            checksum64 of every byte before it
//
// Parsing trusts nothing: the header's sizes are checked against the model and the file length
// (exactly) and the checksum before any data is read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace gptoss::engine {

class KvCache;

inline constexpr char kKvMagic[8] = {'G', 'P', 'T', 'O', 'S', 'S', 'K', 'V'};
inline constexpr uint32_t kKvVersion = 1;
inline constexpr size_t kKvHeaderBytes = 48;

// What a file must match to be restored into a cache.
struct KvExpectations {
  const Config* cfg = nullptr;
  uint64_t fingerprint = 0;           // kv_fingerprint of the model
  size_t capacity = 0;                // the most tokens the cache holds
  std::span<const int32_t> sequence;  // the file's tokens must be a prefix of these
};

// The model's identity for cache files: ModelInfo::fingerprint (config and tensor directory)
// mixed with the size of each checkpoint file and 16 samples of 64 bytes spread over it, so that
// two checkpoints of the same shape with different weights differ. Reads ~1 KiB per file.
// Throws LoadError if a file cannot be read.
uint64_t kv_fingerprint(const Model& model);

// A checksum of 64 bits over 8-byte words in four lanes (any single changed word changes it).
uint64_t checksum64(std::span<const uint8_t> bytes);

// Bytes of a file of n tokens from this cache's shape, in dtype.
uint64_t kv_file_bytes(const KvCache& cache, uint64_t n, KvDtype dtype);

// The file of tokens [0, n) and their cache; the caller has checked cache.holds_for(n).
std::string write_kv_file(const Config& cfg, const KvCache& cache, std::span<const int32_t> tokens,
                          uint64_t fingerprint, KvDtype dtype);

// Validates `bytes` against `expect`, then writes its keys and values into `cache` and calls
// cache.restore(n). Returns the tokens. Throws KvFileError "<source>: <field>: ..." with the
// cache untouched.
std::vector<int32_t> read_kv_file(KvCache& cache, std::span<const uint8_t> bytes,
                                  const KvExpectations& expect, const std::string& source);

}  // namespace gptoss::engine
