// Where the weights live and, when the experts stream from disk, how the expert cache is doing:
// read from Backend::stats() (the keys chat/local_backend.cc writes), so the UI needs no engine
// type. Formatting only; the status bar and /stats show these strings.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gptoss::ui {

struct MemoryFigures {
  std::string mode;           // "mapped" or "streaming"; empty: not reported (a remote model)
  std::string kernels;        // "avx512", "avx2", "baseline"
  uint64_t budget_bytes = 0;  // streaming only, from here on
  int expert_slots = 0;
  std::string policy;          // eviction: "lfu" or "lru"
  uint64_t tokens = 0;         // prompt and reply tokens computed
  uint64_t requests = 0;       // (layer, expert) pairs the router picked
  uint64_t hits = 0;           // of those, already in a slot or being read by a prefetch
  uint64_t prefetch_hits = 0;  // of the hits, brought in by a prefetch
  uint64_t disk_bytes = 0;     // read from disk
};

// Reads the pairs; a missing or unreadable number is 0.
MemoryFigures memory_figures(const std::vector<std::pair<std::string, std::string>>& stats);

// The status bar's mode field: "mapped", "streaming, budget 4.0 GiB"; empty when not reported.
std::string memory_mode_field(const MemoryFigures& m);
// The status bar's cache field, streaming only: "cache hits 73%, 425 MB/tok"; empty before the
// first token.
std::string expert_cache_field(const MemoryFigures& m);
// The /stats line (no trailing newline); empty when not reported.
std::string memory_stats_line(const MemoryFigures& m);

}  // namespace gptoss::ui
