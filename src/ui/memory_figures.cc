#include "ui/memory_figures.h"

#include <cstdio>
#include <cstdlib>

#include "ui/status_bar.h"

namespace gptoss::ui {
namespace {

std::string value_of(const std::vector<std::pair<std::string, std::string>>& stats, const std::string& key) {
  for (const auto& [k, v] : stats)
    if (k == key) return v;
  return "";
}

uint64_t number_of(const std::vector<std::pair<std::string, std::string>>& stats, const std::string& key) {
  return std::strtoull(value_of(stats, key).c_str(), nullptr, 10);  // "" or garbage: 0
}

// "73%": the share of `part` in `whole`, rounded.
std::string percent(uint64_t part, uint64_t whole) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", whole ? 100.0 * static_cast<double>(part) / whole : 0.0);
  return buf;
}

// Megabytes (1e6, as bench reports them) per token, no decimals from 10 up.
std::string mb_per_token(const MemoryFigures& m) {
  const double mb = static_cast<double>(m.disk_bytes) / 1e6 / static_cast<double>(m.tokens);
  char buf[32];
  std::snprintf(buf, sizeof buf, mb >= 10 ? "%.0f MB" : "%.1f MB", mb);
  return buf;
}

}  // namespace

MemoryFigures memory_figures(const std::vector<std::pair<std::string, std::string>>& stats) {
  MemoryFigures m;
  m.mode = value_of(stats, "mode");
  m.kernels = value_of(stats, "kernels");
  m.budget_bytes = number_of(stats, "ram_budget_bytes");
  m.expert_slots = static_cast<int>(number_of(stats, "expert_slots"));
  m.policy = value_of(stats, "expert_cache_policy");
  m.tokens = number_of(stats, "tokens_computed");
  m.requests = number_of(stats, "expert_requests");
  m.hits = number_of(stats, "expert_hits");
  m.prefetch_hits = number_of(stats, "prefetch_hits");
  m.disk_bytes = number_of(stats, "disk_bytes_read");
  return m;
}

std::string memory_mode_field(const MemoryFigures& m) {
  if (m.mode == "streaming") return "streaming, budget " + format_bytes(m.budget_bytes);
  return m.mode;
}

// The hit rate counts experts held when their layer asked, as `bench` does: a prefetch hit is
// counted apart (its read was overlapped with compute, not saved).
std::string expert_cache_field(const MemoryFigures& m) {
  if (m.mode != "streaming" || m.tokens == 0 || m.requests == 0) return "";
  return "cache hits " + percent(m.hits - m.prefetch_hits, m.requests) + ", " + mb_per_token(m) + "/tok";
}

std::string memory_stats_line(const MemoryFigures& m) {
  if (m.mode.empty()) return "";
  const std::string kernels = "kernels " + (m.kernels.empty() ? std::string("unknown") : m.kernels);
  if (m.mode != "streaming") return "Mode: mapped (nothing is read from disk per token); " + kernels + ".";
  std::string line = "Mode: streaming, budget " + format_bytes(m.budget_bytes) + ", " +
                     std::to_string(m.expert_slots) + " expert slots, " + m.policy + " eviction; " + kernels +
                     ".";
  if (m.requests == 0) return line + " No expert read yet.";
  const uint64_t held = m.hits - m.prefetch_hits, misses = m.requests - m.hits;
  line += "\nExpert cache since load: hit rate " + percent(held, m.requests) + ", prefetch hit rate " +
          percent(m.prefetch_hits, m.requests) + " (" + std::to_string(m.requests) +
          " requests: " + std::to_string(held) + " hits, " + std::to_string(m.prefetch_hits) +
          " prefetched, " + std::to_string(misses) + " misses); " + format_bytes(m.disk_bytes) +
          " read from disk";
  if (m.tokens > 0) line += ", " + mb_per_token(m) + " per token (" + count_noun(m.tokens, "token") + ")";
  return line + ".";
}

}  // namespace gptoss::ui
