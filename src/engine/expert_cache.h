// The expert cache of the RAM budget: a fixed number of slots, each holding one expert (its mlp1
// and mlp2 blocks, scales and biases, contiguous), filled from disk by a few I/O threads.
//
// Compute threads ask for a layer's experts (request), take them as they arrive (take) and hand
// them back (give_back); a speculative prefetch of the next layer's guessed experts fills slots
// nobody needs. A slot being read, pinned by a take, or wanted by a request not yet served is
// never evicted; a read already started (by a prefetch) is waited on, never issued twice.
//
// Eviction: least frequently used (uses counted per expert since load, ties to the least
// recently used). A decode step walks all L layers in turn, a cyclic pattern: when the slots hold
// fewer than the L*K experts one token touches, LRU evicts each expert just before its layer
// comes round again, while LFU keeps a stable set whose hit rate tends to slots / (L*E) under
// uniform routing, and more when the router has favourites. Measured against LRU on the random
// 20b (GPTOSS_CACHE_POLICY=lru; README "Low-memory machines"), decode after an 8-token prompt:
// 0.77 against 0.72 of requests hit with 412 of 768 experts held, 0.25 against 0.20 with 100;
// the prefetch recovers part of LRU's misses, not the disk bytes they cost.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/file_reader.h"
#include "engine/moe.h"

namespace gptoss::engine {

// Where one expert's pieces lie: mlp1 blocks, scales, bias, then mlp2 blocks, scales, bias.
inline constexpr int kExpertPieces = 6;
struct ExpertPiece {
  int file = 0;         // index into the cache's readers
  uint64_t offset = 0;  // file position
  uint64_t bytes = 0;
};

// Counted per Context (forward.h Activations), added to ContextStats.
struct ExpertCounters {
  uint64_t requests = 0;       // (layer, expert) pairs asked for, once per batch
  uint64_t hits = 0;           // already in a slot, read or being read
  uint64_t prefetch_hits = 0;  // hits on a slot a prefetch filled
  uint64_t guesses = 0;        // experts a prefetch guessed
  uint64_t guesses_right = 0;  // guesses the router then picked
  uint64_t disk_bytes = 0;     // bytes of the reads issued (demand and prefetch)
};

enum class EvictionPolicy { kLfu, kLru };

// The policy GPTOSS_CACHE_POLICY names ("lfu" or "lru"; empty: the default, LFU). A benchmarking
// knob, to measure one policy against the other. Throws gptoss::Error naming the variable on
// anything else.
EvictionPolicy choose_eviction_policy(const std::string& name);
const char* eviction_policy_name(EvictionPolicy policy);

class ExpertCache {
 public:
  // `pieces` [L*E*kExpertPieces] in (layer, expert, piece) order, read through `files` (which
  // outlive the cache); `names` [L*kExpertPieces] tensor names for error messages; `shape`
  // gives rows and cols of mlp1 and mlp2 (its pointers are ignored). Allocates `slots` slots
  // (untouched until filled) and starts `io_threads` reader threads.
  ExpertCache(std::vector<const FileReader*> files, std::vector<ExpertPiece> pieces,
              std::vector<std::string> names, const ExpertView& shape, int L, int E, int slots,
              int io_threads = 4, EvictionPolicy policy = EvictionPolicy::kLfu);
  ~ExpertCache();
  ExpertCache(const ExpertCache&) = delete;
  ExpertCache& operator=(const ExpertCache&) = delete;

  int slots() const { return static_cast<int>(slots_.size()); }
  uint64_t slot_bytes() const { return slot_bytes_; }
  uint64_t expert_bytes() const;  // bytes one expert's read brings in

  // Layer l will want experts ids [n] (each once): starts reading those not held, before any
  // prefetch. Settles the guesses made for layer l.
  void request(int l, const int* ids, int n, ExpertCounters& counters);
  // Waits until one of `wanted` [*n_wanted] (requested, not yet taken) is held, pins every held
  // one and removes it from `wanted`: ids into `ids`, views into `views`; returns how many.
  // Throws gptoss::Error naming the file and tensor when its read failed.
  int take(int l, int* wanted, int* n_wanted, int* ids, ExpertView* views);
  // Unpins experts ids [n] of layer l, taken before.
  void give_back(int l, const int* ids, int n);
  // Forgets the request for experts ids [n] of layer l not taken (a batch abandoned on error).
  void cancel(int l, const int* ids, int n);
  // Starts reading the guessed experts ids [n] of layer l into slots nobody needs now.
  void prefetch(int l, const int* ids, int n, ExpertCounters& counters);

 private:
  enum class State { kEmpty, kLoading, kReady, kFailed };
  struct Slot {
    uint8_t* memory = nullptr;
    int key = -1;  // l * E + e
    State state = State::kEmpty;
    int pins = 0;
    bool unconsumed_prefetch = false;  // filled by a prefetch, not yet requested
    const uint8_t* data[kExpertPieces] = {};
    std::string error;
  };
  struct Job {
    int slot;
    int key;
    bool prefetch;
  };

  int find_victim(bool for_prefetch) const;  // -1: none
  void start_read(int slot, int key, bool prefetch);
  void serve_waiting();
  void io_loop();
  ExpertView view(const Slot& s) const;

  std::vector<const FileReader*> files_;
  std::vector<ExpertPiece> pieces_;
  std::vector<std::string> names_;
  ExpertView shape_;
  int L_, E_;
  EvictionPolicy policy_;
  uint64_t piece_region_[kExpertPieces] = {};  // offset of each piece's region in a slot
  uint64_t slot_bytes_ = 0;
  uint8_t* memory_ = nullptr;  // slots * slot_bytes_, anonymous, page-aligned
  uint64_t memory_bytes_ = 0;

  std::mutex mu_;
  std::condition_variable ready_cv_;  // a read finished
  std::condition_variable jobs_cv_;   // a job was queued, or stop
  std::vector<Slot> slots_;
  std::vector<int> slot_of_;        // [L*E] slot holding the expert, or -1
  std::vector<int> wanted_;         // [L*E] requests not yet given back or cancelled
  std::vector<uint64_t> uses_;      // [L*E] requests since load (LFU)
  std::vector<uint64_t> last_use_;  // [L*E] tick of the last request (LRU)
  std::vector<uint8_t> guessed_;    // [L*E] guessed for the next request of its layer
  uint64_t tick_ = 0;
  std::deque<int> waiting_;  // requested keys without a slot yet
  std::deque<Job> demand_jobs_, prefetch_jobs_;
  bool stop_ = false;
  std::vector<std::thread> io_threads_;
};

}  // namespace gptoss::engine
