#include "engine/expert_cache.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <tuple>

#include "engine/engine.h"

namespace gptoss::engine {

EvictionPolicy choose_eviction_policy(const std::string& name) {
  if (name.empty() || name == "lfu") return EvictionPolicy::kLfu;
  if (name == "lru") return EvictionPolicy::kLru;
  throw gptoss::Error("GPTOSS_CACHE_POLICY: unknown eviction policy '" + name + "' (expected lfu or lru)");
}

const char* eviction_policy_name(EvictionPolicy policy) {
  return policy == EvictionPolicy::kLru ? "lru" : "lfu";
}

ExpertCache::ExpertCache(std::vector<const FileReader*> files, std::vector<ExpertPiece> pieces,
                         std::vector<std::string> names, const ExpertView& shape, int L, int E, int slots,
                         int io_threads, EvictionPolicy policy)
    : files_(std::move(files)),
      pieces_(std::move(pieces)),
      names_(std::move(names)),
      shape_(shape),
      L_(L),
      E_(E),
      policy_(policy),
      slots_(slots),
      slot_of_(static_cast<size_t>(L) * E, -1),
      wanted_(static_cast<size_t>(L) * E, 0),
      uses_(static_cast<size_t>(L) * E, 0),
      last_use_(static_cast<size_t>(L) * E, 0),
      guessed_(static_cast<size_t>(L) * E, 0) {
  assert(pieces_.size() == static_cast<size_t>(L) * E * kExpertPieces && slots >= 1);
  for (int i = 0; i < kExpertPieces; ++i) {
    piece_region_[i] = slot_bytes_;
    slot_bytes_ += copy_region_bytes(pieces_[i].bytes);
  }
  memory_bytes_ = slot_bytes_ * slots;
  // Anonymous pages are charged only once written: an unused slot costs nothing.
  void* m = mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw gptoss::Error("engine: expert cache: cannot allocate " + std::to_string(memory_bytes_) + " bytes");
  memory_ = static_cast<uint8_t*>(m);
  for (int s = 0; s < slots; ++s) slots_[s].memory = memory_ + slot_bytes_ * s;
  for (int i = 0; i < io_threads; ++i) io_threads_.emplace_back([this] { io_loop(); });
}

ExpertCache::~ExpertCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  jobs_cv_.notify_all();
  for (std::thread& t : io_threads_) t.join();
  munmap(memory_, memory_bytes_);
}

uint64_t ExpertCache::expert_bytes() const {
  uint64_t bytes = 0;
  for (int i = 0; i < kExpertPieces; ++i) bytes += pieces_[i].bytes;
  return bytes;
}

ExpertView ExpertCache::view(const Slot& s) const {
  ExpertView v = shape_;
  v.mlp1.n_experts = v.mlp2.n_experts = 1;
  v.mlp1.blocks = s.data[0];
  v.mlp1.scales = s.data[1];
  v.mlp1.bias = reinterpret_cast<const uint16_t*>(s.data[2]);
  v.mlp2.blocks = s.data[3];
  v.mlp2.scales = s.data[4];
  v.mlp2.bias = reinterpret_cast<const uint16_t*>(s.data[5]);
  return v;
}

int ExpertCache::find_victim(bool for_prefetch) const {
  int best = -1;
  // Rank: an unconsumed prefetch is kept over an ordinary expert (it is about to be used);
  // among equals the policy decides.
  auto rank = [&](const Slot& s) {
    const uint64_t freq = policy_ == EvictionPolicy::kLfu ? uses_[s.key] : 0;
    return std::tuple<int, uint64_t, uint64_t>(s.unconsumed_prefetch ? 1 : 0, freq, last_use_[s.key]);
  };
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    const Slot& s = slots_[i];
    if (s.pins > 0 || s.state == State::kLoading) continue;
    if (s.key < 0 || s.state == State::kEmpty || s.state == State::kFailed) {
      if (s.key < 0 || wanted_[s.key] == 0) return i;
      continue;
    }
    if (wanted_[s.key] > 0) continue;
    if (for_prefetch && s.unconsumed_prefetch) continue;  // a guess never evicts another guess
    if (best < 0 || rank(s) < rank(slots_[best])) best = i;
  }
  return best;
}

void ExpertCache::start_read(int slot, int key, bool prefetch) {
  Slot& s = slots_[slot];
  if (s.key >= 0) slot_of_[s.key] = -1;
  s.key = key;
  s.state = State::kLoading;
  s.unconsumed_prefetch = prefetch;
  s.error.clear();
  slot_of_[key] = slot;
  (prefetch ? prefetch_jobs_ : demand_jobs_).push_back({slot, key, prefetch});
  jobs_cv_.notify_one();
}

void ExpertCache::serve_waiting() {
  while (!waiting_.empty()) {
    const int key = waiting_.front();
    if (wanted_[key] == 0 || slot_of_[key] >= 0) {
      waiting_.pop_front();
      continue;
    }
    const int victim = find_victim(false);
    if (victim < 0) return;  // a give_back will free one
    start_read(victim, key, false);
    waiting_.pop_front();
  }
}

void ExpertCache::request(int l, const int* ids, int n, ExpertCounters& c) {
  std::lock_guard<std::mutex> lock(mu_);
  ++tick_;
  const uint64_t read_bytes = expert_bytes();
  for (int i = 0; i < n; ++i) {
    const int key = l * E_ + ids[i];
    ++wanted_[key];
    ++uses_[key];
    last_use_[key] = tick_;
    ++c.requests;
    if (guessed_[key]) ++c.guesses_right;
    int s = slot_of_[key];
    if (s >= 0 && slots_[s].state == State::kFailed) {  // try again
      slots_[s].key = -1;
      slots_[s].state = State::kEmpty;
      slot_of_[key] = s = -1;
    }
    if (s >= 0) {
      ++c.hits;
      if (slots_[s].unconsumed_prefetch) ++c.prefetch_hits;
      slots_[s].unconsumed_prefetch = false;
    } else {
      waiting_.push_back(key);
      c.disk_bytes += read_bytes;
    }
  }
  // Guesses for this layer are settled: wrong ones become ordinary (cold) slots.
  for (int e = 0; e < E_; ++e) {
    const int key = l * E_ + e;
    guessed_[key] = 0;
    if (slot_of_[key] >= 0 && wanted_[key] == 0) slots_[slot_of_[key]].unconsumed_prefetch = false;
  }
  serve_waiting();
}

int ExpertCache::take(int l, int* wanted, int* n_wanted, int* ids, ExpertView* views) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    for (int i = 0; i < *n_wanted; ++i) {  // a failed read first, before anything is pinned
      const int key = l * E_ + wanted[i], s = slot_of_[key];
      if (s >= 0 && slots_[s].state == State::kFailed) {
        const std::string error = slots_[s].error;
        slots_[s].key = -1;  // a later request reads it again
        slots_[s].state = State::kEmpty;
        slot_of_[key] = -1;
        throw gptoss::Error(error);
      }
    }
    int n = 0, kept = 0;
    for (int i = 0; i < *n_wanted; ++i) {
      const int e = wanted[i], key = l * E_ + e, s = slot_of_[key];
      if (s >= 0 && slots_[s].state == State::kReady) {
        ++slots_[s].pins;
        ids[n] = e;
        views[n++] = view(slots_[s]);
      } else {
        wanted[kept++] = e;
      }
    }
    *n_wanted = kept;
    if (n > 0) return n;
    ready_cv_.wait(lock);
  }
}

void ExpertCache::give_back(int l, const int* ids, int n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < n; ++i) {
    const int key = l * E_ + ids[i];
    const int s = slot_of_[key];
    assert(s >= 0 && slots_[s].pins > 0 && wanted_[key] > 0);
    --slots_[s].pins;
    --wanted_[key];
  }
  serve_waiting();
}

void ExpertCache::cancel(int l, const int* ids, int n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < n; ++i) --wanted_[l * E_ + ids[i]];
  serve_waiting();
}

void ExpertCache::prefetch(int l, const int* ids, int n, ExpertCounters& c) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t read_bytes = expert_bytes();
  for (int i = 0; i < n; ++i) {
    const int key = l * E_ + ids[i];
    if (guessed_[key]) continue;
    guessed_[key] = 1;
    ++c.guesses;
    if (slot_of_[key] >= 0) continue;
    const int victim = find_victim(true);
    if (victim < 0) continue;
    start_read(victim, key, true);
    c.disk_bytes += read_bytes;
  }
}

void ExpertCache::io_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    jobs_cv_.wait(lock, [&] { return stop_ || !demand_jobs_.empty() || !prefetch_jobs_.empty(); });
    if (stop_) return;
    std::deque<Job>& queue = demand_jobs_.empty() ? prefetch_jobs_ : demand_jobs_;  // demand first
    const Job job = queue.front();
    queue.pop_front();
    uint8_t* memory = slots_[job.slot].memory;
    lock.unlock();
    // The slot is ours while it is loading: nobody reads or evicts it.
    const int l = job.key / E_, e = job.key % E_;
    const uint8_t* data[kExpertPieces] = {};
    std::string error;
    try {
      for (int i = 0; i < kExpertPieces; ++i) {
        const ExpertPiece& p = pieces_[static_cast<size_t>(job.key) * kExpertPieces + i];
        data[i] = files_[p.file]->read(
            memory + piece_region_[i], p.offset, p.bytes,
            names_[static_cast<size_t>(l) * kExpertPieces + i] + " (expert " + std::to_string(e) + ")");
      }
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    lock.lock();
    Slot& s = slots_[job.slot];
    s.state = error.empty() ? State::kReady : State::kFailed;
    s.error = std::move(error);
    std::copy(data, data + kExpertPieces, s.data);
    ready_cv_.notify_all();
  }
}

}  // namespace gptoss::engine
