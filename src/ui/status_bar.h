// The status bar: model, effort, context used / size, the last turn's prefill and decode speed,
// memory in use, and what the program is doing. Formatting only; app.cc draws the string.
#pragma once

#include <cstdint>
#include <string>

namespace gptoss::ui {

struct StatusInfo {
  std::string model;             // "gpt-oss-20b"
  bool demo = false;             // random weights: said in the bar too
  std::string effort;            // "low" | "medium" | "high"
  uint64_t context_used = 0;     // tokens
  uint64_t context_size = 0;     // tokens
  double prefill_tok_s = 0;      // last turn; 0: no turn yet
  double decode_tok_s = 0;
  uint64_t memory_bytes = 0;     // resident set size
  std::string memory_mode;       // "mapped", "streaming, budget 4.0 GiB" (memory_figures.h); empty: remote
  std::string expert_cache;      // streaming: "cache hits 73%, 425 MB/tok"; empty before a turn
  std::string activity;          // "thinking", "answering"; empty when idle
  std::string session;           // the session's name, if saved
  int rows_below = 0;            // transcript rows hidden below the view
};

// One row of exactly `width` cells (UTF-8). When the row is too narrow, the least useful fields
// go first (expert cache figures, memory mode, memory, effort, speed); the session name, the model
// and the context stay longest.
std::string format_status(const StatusInfo& s, int width);

// "1 token", "2 tokens": a count and its noun (plural with an 's').
std::string count_noun(uint64_t n, const std::string& noun);

// "reading the prompt again: 384/1200 tokens": the activity while a rewritten prompt is computed;
// `total` is the conversation's tokens (the new message may add some: done never shows above it).
inline constexpr const char* kRereadingPrompt = "reading the prompt again";
std::string rereading_progress(uint64_t done, uint64_t total);

// "812 MiB", "3.4 GiB".
std::string format_bytes(uint64_t bytes);

// Resident memory of this process from /proc/self/statm; 0 when unavailable.
uint64_t resident_memory_bytes();

}  // namespace gptoss::ui
