#include "engine/ram_budget.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/engine.h"
#include "engine/forward.h"
#include "engine/kv_cache.h"
#include "engine/q8_weights.h"
#include "engine/streamed_weights.h"

namespace gptoss::engine {
namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A cgroup file holding a byte count: "max" and v1's "no limit" (about 2^63) read as 0.
uint64_t read_limit(const std::string& path) {
  const std::string text = read_small_file(path);
  if (text.empty() || text.compare(0, 3, "max") == 0) return 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str() || v >= (1ull << 62)) return 0;
  return v;
}

// "MemAvailable:   22000000 kB" -> bytes.
uint64_t meminfo_field(const std::string& meminfo, const std::string& key) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

struct CgroupMount {
  std::string root;        // the cgroup path mounted there (field 4 of mountinfo)
  std::string mountpoint;  // field 5
};

// cgroup mounts from mountinfo: the v2 one, and the v1 one with the memory controller.
void find_cgroup_mounts(const std::string& mountinfo, std::vector<CgroupMount>* v2,
                        std::vector<CgroupMount>* v1) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> fields;
    for (std::string w; f >> w;) fields.push_back(w);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || dash + 3 > fields.end()) continue;
    const std::string& type = *(dash + 1);
    const std::string& options = *(dash + 3);
    if (type == "cgroup2") v2->push_back({fields[3], fields[4]});
    if (type == "cgroup" && ("," + options + ",").find(",memory,") != std::string::npos)
      v1->push_back({fields[3], fields[4]});
  }
}

// Smallest limit in `file` over the cgroup `path` and its ancestors, under each mount.
uint64_t smallest_limit(const std::string& root, const std::vector<CgroupMount>& mounts, std::string path,
                        const char* file) {
  uint64_t best = 0;
  for (const CgroupMount& m : mounts) {
    std::string rel = path;
    if (m.root != "/" && rel.compare(0, m.root.size(), m.root) == 0) rel = rel.substr(m.root.size());
    while (true) {
      const uint64_t v = read_limit(root + m.mountpoint + (rel == "/" ? "" : rel) + "/" + file);
      if (v && (!best || v < best)) best = v;
      if (rel.empty() || rel == "/") break;
      const size_t slash = rel.rfind('/');
      rel = slash == 0 || slash == std::string::npos ? "/" : rel.substr(0, slash);
    }
  }
  return best;
}

// The process's cgroup paths: v2 ("0::/path") and v1 memory ("N:...memory...:/path").
void own_cgroups(const std::string& root, std::string* v2_path, std::string* v1_path) {
  std::istringstream in(read_small_file(root + "/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    const size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) *v2_path = path;
    if (("," + controllers + ",").find(",memory,") != std::string::npos) *v1_path = path;
  }
}

}  // namespace

uint64_t parse_ram_size(const std::string& text, const std::string& what) {
  auto bad = [&](const std::string& why) -> uint64_t {
    throw gptoss::Error(what + ": " + why + " (expected a size such as 6G, 6GiB or 6000M, found \"" + text +
                        "\")");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return bad("not a size");
  char* end = nullptr;
  const std::string number = text.substr(0, i);
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return bad("not a number");
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const struct {
    const char* name;
    double scale;
  } kUnits[] = {{"", 1},
                {"B", 1},
                {"K", 1024.0},
                {"KIB", 1024.0},
                {"KB", 1e3},
                {"M", 1048576.0},
                {"MIB", 1048576.0},
                {"MB", 1e6},
                {"G", 1073741824.0},
                {"GIB", 1073741824.0},
                {"GB", 1e9},
                {"T", 1099511627776.0},
                {"TIB", 1099511627776.0},
                {"TB", 1e12}};
  for (const auto& u : kUnits) {
    if (unit != u.name) continue;
    const double bytes = value * u.scale;
    if (!(bytes >= 1) || bytes > 1e18) return bad("out of range");
    return static_cast<uint64_t>(bytes);
  }
  return bad("unknown unit \"" + text.substr(i) + "\"");
}

MemoryLimits read_memory_limits(const std::string& root) {
  MemoryLimits out;
  const std::string meminfo = read_small_file(root + "/proc/meminfo");
  out.mem_available = meminfo_field(meminfo, "MemAvailable");
  out.physical = meminfo_field(meminfo, "MemTotal");
  std::vector<CgroupMount> v2, v1;
  find_cgroup_mounts(read_small_file(root + "/proc/self/mountinfo"), &v2, &v1);
  std::string v2_path, v1_path;
  own_cgroups(root, &v2_path, &v1_path);
  if (!v2_path.empty()) out.cgroup_v2 = smallest_limit(root, v2, v2_path, "memory.max");
  if (!v1_path.empty()) out.cgroup_v1 = smallest_limit(root, v1, v1_path, "memory.limit_in_bytes");
  return out;
}

RamBudget choose_ram_budget(const std::string& flag, const char* env, const MemoryLimits& limits) {
  if (!flag.empty()) return {parse_ram_size(flag, "--ram"), "--ram"};
  if (env && *env) return {parse_ram_size(env, "GPT_OSS_RAM"), "GPT_OSS_RAM"};
  uint64_t smallest = 0;
  std::string which;
  const std::pair<uint64_t, const char*> parts[] = {{limits.cgroup_v2, "cgroup v2 memory.max"},
                                                    {limits.cgroup_v1, "cgroup v1 memory.limit_in_bytes"},
                                                    {limits.mem_available, "MemAvailable"},
                                                    {limits.physical, "physical RAM"}};
  for (const auto& [bytes, name] : parts)
    if (bytes && (!smallest || bytes < smallest)) smallest = bytes, which = name;
  if (!smallest) return {0, "detected (no limit found)"};
  // Other programs keep running beside this one: leave them max(256 MiB, 5%).
  const uint64_t headroom = std::max<uint64_t>(256ull << 20, smallest / 20);
  const uint64_t budget = smallest > headroom ? smallest - headroom : 1;
  return {budget, "detected (" + which + " " + format_gib(smallest) + " minus " + format_gib(headroom) + ")"};
}

uint64_t cgroup_peak_bytes(const std::string& root) {
  std::vector<CgroupMount> v2, v1;
  find_cgroup_mounts(read_small_file(root + "/proc/self/mountinfo"), &v2, &v1);
  std::string v2_path, v1_path;
  own_cgroups(root, &v2_path, &v1_path);
  auto own_file = [&](const std::vector<CgroupMount>& mounts, std::string path,
                      const char* file) -> uint64_t {
    for (const CgroupMount& m : mounts) {
      if (m.root != "/" && path.compare(0, m.root.size(), m.root) == 0) path = path.substr(m.root.size());
      if (const uint64_t v = read_limit(root + m.mountpoint + (path == "/" ? "" : path) + "/" + file))
        return v;
    }
    return 0;
  };
  if (!v2_path.empty())
    if (const uint64_t v = own_file(v2, v2_path, "memory.peak")) return v;
  if (!v1_path.empty()) return own_file(v1, v1_path, "memory.max_usage_in_bytes");
  return 0;
}

MemoryNeeds memory_needs(const Checkpoint& ckpt, int context_tokens, int threads, Precision precision) {
  const Config& cfg = ckpt.config;
  MemoryNeeds n;
  n.file_bytes = ckpt.info.file_bytes;
  const bool q8 = uses_q8_unembed(ckpt.weights, precision);
  if (q8) {
    n.q8_bytes = Q8Weights::bytes_for(ckpt.weights);
    n.q8_replaced = Q8Weights::replaced_bf16_bytes(ckpt.weights);
  }
  for (const DenseTensor& t : dense_tensors(ckpt, /*with_unembed=*/!q8))
    n.dense_bytes += copy_region_bytes(t.entry->data_bytes);
  n.dense_bytes += n.q8_bytes;
  const int capacity =
      std::max(1, std::min(context_tokens, cfg.max_context > 0 ? cfg.max_context : context_tokens));
  n.kv_bytes =
      kv_cache_bytes(cfg, capacity, 4096, precision == Precision::kFast ? KvType::kBf16 : KvType::kF32);
  n.scratch_bytes = activations_bytes(cfg, 128, capacity, threads) + static_cast<uint64_t>(cfg.vocab) * 4;
  n.slot_bytes = expert_slot_bytes(ckpt.weights.layers.at(0));
  n.experts = cfg.n_layers * cfg.n_experts;
  n.min_slots = cfg.experts_per_token;
  return n;
}

MemoryPlan plan_memory(const MemoryNeeds& needs, uint64_t budget, const std::string& dir) {
  if (budget == 0 || budget >= needs.mapped()) return {false, 0};
  if (budget < needs.min_streaming())
    throw LoadError(dir + ": ram budget: too small for this model (expected at least " +
                    format_gib(needs.min_streaming()) + ", found " + format_gib(budget) + ")");
  const uint64_t slots = (budget - needs.streaming_fixed()) / needs.slot_bytes;
  return {true, static_cast<int>(std::min<uint64_t>(slots, needs.experts))};
}

std::string format_gib(uint64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return s;
}

}  // namespace gptoss::engine
