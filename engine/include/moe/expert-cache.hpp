#pragma once
// The expert cache: a bounded pool of expert weights (gate, up and down slices of one expert in
// one layer). Without a budget every expert is served straight from the memory-mapped file.
// With a budget, experts are served ONLY from the pool: a miss copies the expert in from the
// file (from its mapping where the pages are in the page cache, pread otherwise: real I/O),
// evicting by the chosen policy; prefetch pages experts in ahead of use.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace moe {

namespace cache {
class CachePolicy;
class ExpertPager;
}  // namespace cache

enum class CachePolicyKind { lru, lfu, arc, least_stale };
std::string_view cache_policy_name(CachePolicyKind k) noexcept;
CachePolicyKind cache_policy_from_name(std::string_view name);  // throws ConfigError

struct ExpertCacheConfig {
  uint64_t budget_bytes = 0;          // one pool shared by all layers; 0 = no byte budget
  int budget_experts_per_layer = 0;   // or: this many resident experts in every layer; 0 = off
  CachePolicyKind policy = CachePolicyKind::least_stale;
  bool prefetch = true;
  // Every miss and prefetch is a pread, after which the kernel is advised to drop the file's
  // pages: honest cold-I/O measurements. Off: slices in the page cache are copied from the mapping.
  bool drop_page_cache = false;
  bool unlimited() const noexcept { return budget_bytes == 0 && budget_experts_per_layer == 0; }
};

// Where one expert's three matrices are: pointers into the mapping and their file offsets.
struct ExpertSlices {
  std::array<const std::byte*, 3> mapped{};  // gate, up, down: the file's bytes at file_offset (or null)
  std::array<uint64_t, 3> file_offset{};
  std::array<size_t, 3> bytes{};
  size_t total_bytes() const noexcept { return bytes[0] + bytes[1] + bytes[2]; }
};

struct ExpertData {
  const std::byte* gate = nullptr;
  const std::byte* up = nullptr;
  const std::byte* down = nullptr;
};

struct ExpertCacheLayerStats {
  uint64_t hits = 0, misses = 0, evictions = 0;
  // issued: guesses given a slot; used: taken by the router with their read started (hits);
  // late: taken before a worker started the read (read by acquire(), counted as misses);
  // wasted: not taken (dropped) or evicted unused.
  uint64_t prefetch_issued = 0, prefetch_used = 0, prefetch_late = 0, prefetch_wasted = 0;
  uint64_t bytes_paged_in = 0;
  uint64_t miss_latency_ns = 0;         // total time acquire() waited on reads
  uint64_t hidden_latency_ns = 0;       // read time of prefetches that were then used
  std::array<uint64_t, 16> miss_latency_hist{};  // bucket b: [2^b, 2^(b+1)) microseconds

  ExpertCacheLayerStats& operator+=(const ExpertCacheLayerStats& s) noexcept {
    hits += s.hits;
    misses += s.misses;
    evictions += s.evictions;
    prefetch_issued += s.prefetch_issued;
    prefetch_used += s.prefetch_used;
    prefetch_late += s.prefetch_late;
    prefetch_wasted += s.prefetch_wasted;
    bytes_paged_in += s.bytes_paged_in;
    miss_latency_ns += s.miss_latency_ns;
    hidden_latency_ns += s.hidden_latency_ns;
    for (size_t b = 0; b < miss_latency_hist.size(); ++b) miss_latency_hist[b] += s.miss_latency_hist[b];
    return *this;
  }
};

// Runs a task asynchronously (the engine's task arena); the cache never creates threads.
using TaskSpawner = std::function<void(std::function<void()>)>;
// Runs body(i) for every i in [0, n), possibly on several threads of the engine's arena, and
// returns when all are done (the misses of one layer are copied in pieces this way).
using ParallelFor = std::function<void(size_t n, const std::function<void(size_t)>& body)>;

class ExpertCache {
 public:
  // slices: n_layers * n_experts entries, index layer * n_experts + expert. `file` is the model
  // path (reopened read-only for pread). `max_active` is the experts one token uses in one
  // layer: a budget below it is a ConfigError.
  ExpertCache(int n_layers, int n_experts, int max_active, std::vector<ExpertSlices> slices,
              const std::filesystem::path& file, const ExpertCacheConfig& config, TaskSpawner spawn = {},
              ParallelFor parallel = {});
  ~ExpertCache();
  ExpertCache(const ExpertCache&) = delete;
  ExpertCache& operator=(const ExpertCache&) = delete;

  const ExpertCacheConfig& config() const noexcept { return config_; }
  int n_layers() const noexcept { return n_layers_; }
  int n_experts() const noexcept { return n_experts_; }

  // Makes the experts of one layer available and pins them until release(layer). Blocks on
  // reads for misses. Called by the session thread.
  void acquire(int layer, std::span<const int32_t> experts, ExpertData* out);
  void release(int layer, std::span<const int32_t> experts);

  // Reserves slots for experts guessed for `layer` and queues their reads on the workers
  // (no-op without a budget or with prefetch off). When the layer is acquired, a guess the
  // router took is a hit if a worker has started its read (else acquire() reads it: a late
  // guess, a miss); the others are dropped and their slots given back.
  void prefetch(int layer, std::span<const int32_t> experts);
  // Waits for reads in flight (before destruction or a configuration change).
  void quiesce();

  // In the pool and not an unused guess: what memory-aware routing may count on. Guesses are
  // left out so that a guess never draws the router to an expert (their reads may not have
  // started, and what routing sees must not depend on when a worker runs).
  bool resident(int layer, int expert) const noexcept;
  // Fills resident[e] for one layer, as resident() (memory-aware routing).
  void residency(int layer, uint8_t* resident) const noexcept;

  // Most experts of one layer that can be pinned at once (callers acquire in chunks of this).
  int max_pinned(int layer) const noexcept;

  size_t slot_count() const noexcept { return n_slots_; }
  uint64_t pool_bytes() const noexcept { return pool_bytes_; }   // allocated, never above the budget
  uint64_t expert_bytes() const noexcept { return expert_bytes_; }
  ExpertCacheLayerStats layer_stats(int layer) const;
  ExpertCacheLayerStats total_stats() const;
  void reset_stats();

 private:
  struct Slot;
  struct Partition;
  int32_t key_of(int layer, int expert) const noexcept { return layer * n_experts_ + expert; }
  Partition& partition_of(int layer) noexcept;
  int32_t take_slot_locked(Partition& part, int layer, int32_t local_key, bool for_prefetch);
  std::byte* slot_ptr(int32_t slot) const noexcept { return pool_.get() + static_cast<size_t>(slot) * expert_bytes_; }
  void read_into(int32_t slot, int32_t key);
  // Copies the experts of `slots` (keys set, state kLoading) in pieces, in parallel.
  void read_batch(int layer, const int32_t* slots, size_t n);
  // `slot` (a failed read, or a guess dropped) no longer holds its key; the slot is free again.
  void forget_locked(int32_t slot);
  void unpin_locked(int layer, std::span<const int32_t> experts) noexcept;
  // Gives back the slots of this layer's guesses that `experts` (what the router chose) does
  // not contain, waiting for reads a worker has started. May unlock `lock` while waiting.
  void drop_unused_guesses_locked(std::unique_lock<std::mutex>& lock, int layer, std::span<const int32_t> experts);
  // A worker's read of the guess in `slot`, unless acquire() has read or dropped it already.
  void prefetch_read(int32_t slot, int32_t key) noexcept;

  int n_layers_, n_experts_;
  ExpertCacheConfig config_;
  std::vector<ExpertSlices> slices_;
  std::unique_ptr<cache::ExpertPager> pager_;
  TaskSpawner spawn_;
  ParallelFor parallel_;
  uint64_t expert_bytes_ = 0;
  size_t n_slots_ = 0;
  uint64_t pool_bytes_ = 0;
  struct FreeDeleter {
    void operator()(std::byte* p) const noexcept;
  };
  std::unique_ptr<std::byte, FreeDeleter> pool_;
  std::vector<Slot> slots_;
  std::vector<Partition> partitions_;
  std::vector<int32_t> slot_of_key_;      // -1 when not resident
  std::vector<uint8_t> pinned_;            // per key: pin count (also set while reading)
  std::vector<uint8_t> prefetched_;        // per key: a guess the router has not used yet
  std::vector<int32_t> pending_;           // (n_layers, n_experts) slots of the layer's last guesses
  std::vector<int32_t> pending_n_;         // (n_layers)
  std::vector<ExpertCacheLayerStats> stats_;
  std::atomic<int> reads_in_flight_{0};
  mutable std::mutex mutex_;
};

}  // namespace moe
