#include "moe/expert-cache.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "cache-policies.hpp"
#include "expert-pager.hpp"
#include "moe/errors.hpp"
#include "moe/telemetry/hub.hpp"

namespace moe {

namespace {

using cache::ExpertPager;
constexpr size_t kAlign = ExpertPager::kAlign;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMaxK = 64;  // experts one acquire() or prefetch() call handles
size_t round_up(size_t n) { return ExpertPager::round_up(n); }

enum SlotState : int { kEmpty = 0, kLoading = 1, kReady = 2 };
// A guess waiting for a worker: whoever moves the slot from this state to kLoading does the
// read. The key is part of the state so that a stale task whose slot was since dropped and
// given to another guess cannot take that read.
int queued(int32_t key) { return 3 + key; }

int log2_bucket(uint64_t ns) {
  uint64_t us = ns / 1000;
  int b = 0;
  while (us > 1 && b < 15) {
    us >>= 1;
    ++b;
  }
  return b;
}

}  // namespace

struct ExpertCache::Slot {
  std::atomic<int> state{kEmpty};
  int32_t key = -1;
  uint64_t read_ns = 0;  // how long its last read took
};

struct ExpertCache::Partition {
  std::unique_ptr<cache::CachePolicy> policy;
  std::vector<int32_t> free_slots;  // stack, preallocated to the partition's slot count
  size_t capacity = 0;
};

std::string_view cache_policy_name(CachePolicyKind k) noexcept {
  switch (k) {
    case CachePolicyKind::lru: return "lru";
    case CachePolicyKind::lfu: return "lfu";
    case CachePolicyKind::arc: return "arc";
    case CachePolicyKind::least_stale: return "least-stale";
  }
  return "unknown";
}

CachePolicyKind cache_policy_from_name(std::string_view name) {
  for (CachePolicyKind k : {CachePolicyKind::lru, CachePolicyKind::lfu, CachePolicyKind::arc, CachePolicyKind::least_stale})
    if (cache_policy_name(k) == name) return k;
  throw ConfigError("unknown cache policy '" + std::string(name) + "' (expected lru, lfu, arc or least-stale)");
}

ExpertCache::ExpertCache(int n_layers, int n_experts, int max_active, std::vector<ExpertSlices> slices,
                         const std::filesystem::path& file, const ExpertCacheConfig& config, TaskSpawner spawn,
                         ParallelFor parallel)
    : n_layers_(n_layers),
      n_experts_(n_experts),
      config_(config),
      slices_(std::move(slices)),
      spawn_(std::move(spawn)),
      parallel_(std::move(parallel)) {
  if (n_layers <= 0 || n_experts <= 0 || max_active <= 0 || max_active > n_experts)
    throw ConfigError("expert cache: invalid shape (" + std::to_string(n_layers) + " layers, " +
                      std::to_string(n_experts) + " experts, " + std::to_string(max_active) + " active)");
  const size_t n_keys = static_cast<size_t>(n_layers) * static_cast<size_t>(n_experts);
  if (slices_.size() != n_keys) throw ConfigError("expert cache: slice table does not match layers x experts");
  for (const ExpertSlices& s : slices_) expert_bytes_ = std::max<uint64_t>(expert_bytes_, ExpertPager::slot_bytes(s));
  stats_.resize(static_cast<size_t>(n_layers));
  if (config_.unlimited()) return;

  const bool per_layer = config_.budget_experts_per_layer > 0;
  if (per_layer) {
    const int per = config_.budget_experts_per_layer;
    if (per < max_active)
      throw ConfigError("expert budget of " + std::to_string(per) + " experts per layer is below the " +
                        std::to_string(max_active) + " experts one token uses in a layer");
    n_slots_ = static_cast<size_t>(std::min(per, n_experts)) * static_cast<size_t>(n_layers);
  } else {
    n_slots_ = static_cast<size_t>(config_.budget_bytes / expert_bytes_);
    n_slots_ = std::min(n_slots_, n_keys);
    if (n_slots_ < static_cast<size_t>(max_active))
      throw ConfigError("expert budget of " + std::to_string(config_.budget_bytes >> 20) + " MiB holds " +
                        std::to_string(n_slots_) + " experts of " + std::to_string(expert_bytes_ >> 10) +
                        " KiB; one token needs " + std::to_string(max_active) + " in a layer");
  }
  pager_ = std::make_unique<ExpertPager>(file, config_.drop_page_cache);
  pool_bytes_ = n_slots_ * expert_bytes_;
  // Huge pages where the pool spans them: fewer TLB misses when the kernels stream experts
  // out of it. The allocation is the budget, not rounded up to a huge page.
  const size_t align = pool_bytes_ >= kHugePage ? kHugePage : kAlign;
  void* mem = nullptr;
  if (::posix_memalign(&mem, align, std::max<size_t>(pool_bytes_, kAlign)) != 0)
    throw ConfigError("expert cache: cannot allocate a pool of " + std::to_string(pool_bytes_) + " bytes");
  pool_.reset(static_cast<std::byte*>(mem));
#ifdef MADV_HUGEPAGE
  if (align == kHugePage) (void)::madvise(mem, pool_bytes_ / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  // Commit the pool now: a miss then copies into memory that is already there, instead of
  // taking a page fault (and zeroing a page) every 4 KiB of the copy.
  std::memset(mem, 0, pool_bytes_);
  slots_ = std::vector<Slot>(n_slots_);
  slot_of_key_.assign(n_keys, -1);
  pinned_.assign(n_keys, 0);
  prefetched_.assign(n_keys, 0);
  pending_.assign(n_keys, -1);
  pending_n_.assign(static_cast<size_t>(n_layers), 0);

  const size_t n_parts = per_layer ? static_cast<size_t>(n_layers) : 1;
  const size_t keys_per_part = per_layer ? static_cast<size_t>(n_experts) : n_keys;
  const size_t slots_per_part = n_slots_ / n_parts;
  partitions_.resize(n_parts);
  for (size_t p = 0; p < n_parts; ++p) {
    Partition& part = partitions_[p];
    part.capacity = slots_per_part;
    part.policy = cache::make_policy(config_.policy, keys_per_part, slots_per_part);
    part.free_slots.reserve(slots_per_part);
    for (size_t s = slots_per_part; s-- > 0;) part.free_slots.push_back(static_cast<int32_t>(p * slots_per_part + s));
  }
}

void ExpertCache::FreeDeleter::operator()(std::byte* p) const noexcept { std::free(p); }

ExpertCache::~ExpertCache() { quiesce(); }

ExpertCache::Partition& ExpertCache::partition_of(int layer) noexcept {
  return partitions_.size() == 1 ? partitions_[0] : partitions_[static_cast<size_t>(layer)];
}

int32_t ExpertCache::take_slot_locked(Partition& part, int layer, int32_t local_key, bool for_prefetch) {
  if (!part.free_slots.empty()) {
    const int32_t s = part.free_slots.back();
    part.free_slots.pop_back();
    return s;
  }
  const bool per_layer = partitions_.size() > 1;
  const size_t base = per_layer ? static_cast<size_t>(layer) * static_cast<size_t>(n_experts_) : 0;
  const int32_t victim_local = part.policy->victim(local_key, pinned_.data() + base);
  if (victim_local == cache::kNil) {
    if (for_prefetch) return -1;
    throw ConfigError("expert budget too small: every one of the " + std::to_string(part.capacity) +
                      " pool slots is in use by the experts of the current token (layer " + std::to_string(layer) + ")");
  }
  const int32_t victim = static_cast<int32_t>(base) + victim_local;
  const int32_t slot = slot_of_key_[static_cast<size_t>(victim)];
  slot_of_key_[static_cast<size_t>(victim)] = -1;
  part.policy->on_evict(victim_local);
  const int vlayer = victim / n_experts_;
  ExpertCacheLayerStats& vs = stats_[static_cast<size_t>(vlayer)];
  ++vs.evictions;
  if (prefetched_[static_cast<size_t>(victim)]) {
    ++vs.prefetch_wasted;
    prefetched_[static_cast<size_t>(victim)] = 0;
  }
  tel::record_cache(tel::CacheAction::eviction, static_cast<uint16_t>(vlayer), static_cast<uint16_t>(victim % n_experts_),
                    static_cast<uint32_t>(expert_bytes_), 0);
  slots_[static_cast<size_t>(slot)].state.store(kEmpty, std::memory_order_relaxed);
  return slot;
}

void ExpertCache::read_into(int32_t slot, int32_t key) {
  pager_->copy(slices_[static_cast<size_t>(key)], slot_ptr(slot), key / n_experts_, key % n_experts_);
}

void ExpertCache::read_batch(int layer, const int32_t* slots, size_t n) {
  // first[i]: index of the first piece of slots[i]; the pieces of every expert, in one range.
  struct Batch {
    const ExpertCache* cache;
    const int32_t* slots;
    size_t n;
    int layer;
    size_t first[kMaxK + 1];
    void run(size_t piece) const {
      const size_t i = static_cast<size_t>(std::upper_bound(first, first + n + 1, piece) - first) - 1;
      const int32_t key = cache->slots_[static_cast<size_t>(slots[i])].key;
      cache->pager_->copy_piece(cache->slices_[static_cast<size_t>(key)], cache->slot_ptr(slots[i]), piece - first[i], layer,
                                key % cache->n_experts_);
    }
  } batch{this, slots, n, layer, {}};
  batch.first[0] = 0;
  for (size_t i = 0; i < n; ++i)
    batch.first[i + 1] = batch.first[i] + pager_->pieces(slices_[static_cast<size_t>(slots_[static_cast<size_t>(slots[i])].key)]);
  const size_t total = batch.first[n];
  if (parallel_ && total > 1) {
    // One pointer captured: the std::function keeps it inline (no allocation per miss batch).
    const Batch* b = &batch;
    parallel_(total, [b](size_t piece) { b->run(piece); });
  } else {
    for (size_t p = 0; p < total; ++p) batch.run(p);
  }
}

void ExpertCache::forget_locked(int32_t slot) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  const auto k = static_cast<size_t>(s.key);
  const int layer = s.key / n_experts_;
  Partition& part = partition_of(layer);
  part.policy->on_evict(partitions_.size() > 1 ? s.key % n_experts_ : s.key);
  slot_of_key_[k] = -1;
  pinned_[k] = 0;
  prefetched_[k] = 0;
  part.free_slots.push_back(slot);  // reserved to the partition's slot count: no allocation
  s.key = -1;
  s.state.store(kEmpty, std::memory_order_release);
}

void ExpertCache::unpin_locked(int layer, std::span<const int32_t> experts) noexcept {
  for (int32_t e : experts) {
    uint8_t& p = pinned_[static_cast<size_t>(key_of(layer, e))];
    if (p > 0) --p;
  }
}

namespace {
ExpertData slot_data(std::byte* base, const ExpertSlices& s) {
  ExpertData d;
  d.gate = base;
  d.up = d.gate + round_up(s.bytes[0]);
  d.down = d.up + round_up(s.bytes[1]);
  return d;
}
}  // namespace

void ExpertCache::drop_unused_guesses_locked(std::unique_lock<std::mutex>& lock, int layer,
                                             std::span<const int32_t> experts) {
  int32_t& n = pending_n_[static_cast<size_t>(layer)];
  const int32_t* pend = pending_.data() + static_cast<size_t>(layer) * static_cast<size_t>(n_experts_);
  ExpertCacheLayerStats& st = stats_[static_cast<size_t>(layer)];
  for (int32_t i = 0; i < n; ++i) {
    const int32_t slot = pend[i];
    Slot& s = slots_[static_cast<size_t>(slot)];
    const int32_t key = s.key;
    // Still this layer's unused guess? (A failed read has already freed its slot.)
    if (key < 0 || key / n_experts_ != layer || !prefetched_[static_cast<size_t>(key)]) continue;
    if (std::find(experts.begin(), experts.end(), key % n_experts_) != experts.end()) continue;
    int expected = queued(key);
    if (!s.state.compare_exchange_strong(expected, kLoading, std::memory_order_acq_rel)) {
      // A worker is reading it: the slot can be given back only once the read is over.
      while (s.state.load(std::memory_order_acquire) == kLoading) {
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
      }
    }
    if (slot_of_key_[static_cast<size_t>(key)] != slot) continue;
    ++st.prefetch_wasted;
    tel::record_cache(tel::CacheAction::prefetch_wasted, static_cast<uint16_t>(layer), static_cast<uint16_t>(key % n_experts_), 0, 0);
    forget_locked(slot);
  }
  n = 0;
}

void ExpertCache::acquire(int layer, std::span<const int32_t> experts, ExpertData* out) {
  ExpertCacheLayerStats& st = stats_[static_cast<size_t>(layer)];
  if (config_.unlimited()) {  // served from the mapping: every access is a hit
    for (size_t i = 0; i < experts.size(); ++i) {
      const ExpertSlices& s = slices_[static_cast<size_t>(key_of(layer, experts[i]))];
      out[i] = ExpertData{s.mapped[0], s.mapped[1], s.mapped[2]};
      tel::record_cache(tel::CacheAction::hit, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]), 0, 0);
    }
    std::lock_guard lock(mutex_);
    st.hits += experts.size();
    return;
  }
  if (experts.size() > kMaxK) throw ConfigError("expert cache: more than 64 experts requested for one token");
  // batch: experts copied here, in parallel: the misses, then guesses the router took before
  // a worker started their read (late; counted as misses too). to_wait: guesses being read.
  int32_t miss[kMaxK], late[kMaxK], to_wait[kMaxK];
  size_t n_miss = 0, n_late = 0, n_wait = 0;
  const bool per_layer = partitions_.size() > 1;
  {
    std::unique_lock lock(mutex_);
    // The router has decided: guesses it did not take give their slots back first, so the
    // misses below need not evict for them.
    drop_unused_guesses_locked(lock, layer, experts);
    Partition& part = partition_of(layer);
    // Hits first: pinned before any miss looks for a victim, so a miss never evicts an expert
    // this same call asks for.
    bool found[kMaxK];
    for (size_t i = 0; i < experts.size(); ++i) {
      const int32_t key = key_of(layer, experts[i]);
      const auto k = static_cast<size_t>(key);
      const int32_t slot = slot_of_key_[k];
      found[i] = slot >= 0;
      if (!found[i]) continue;
      Slot& s = slots_[static_cast<size_t>(slot)];
      part.policy->on_hit(per_layer ? experts[i] : key);  // the same for a guess, read or not
      bool hit = true;
      if (prefetched_[k]) {
        prefetched_[k] = 0;
        int expected = queued(key);
        if (s.state.compare_exchange_strong(expected, kLoading, std::memory_order_acq_rel)) {
          hit = false;
          ++st.misses;
          ++st.prefetch_late;
          late[n_late++] = slot;
        } else {
          ++st.prefetch_used;
          // A read still under way is credited once it is done (below).
          if (s.state.load(std::memory_order_acquire) == kReady) st.hidden_latency_ns += s.read_ns;
          else to_wait[n_wait++] = slot;
          tel::record_cache(tel::CacheAction::prefetch_used, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]), 0, 0);
        }
      }
      if (hit) {
        ++st.hits;
        tel::record_cache(tel::CacheAction::hit, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]), 0, 0);
      }
      ++pinned_[k];
      out[i] = slot_data(slot_ptr(slot), slices_[k]);
    }
    for (size_t i = 0; i < experts.size(); ++i) {
      if (found[i]) continue;
      const int32_t key = key_of(layer, experts[i]);
      const auto k = static_cast<size_t>(key);
      const int32_t local = per_layer ? experts[i] : key;
      const int32_t slot = take_slot_locked(part, layer, local, true);
      if (slot < 0) {
        // Every slot is pinned: by this call's experts, or by prefetch reads of other layers
        // still in flight. Wait for those reads and look again.
        if (reads_in_flight_.load(std::memory_order_acquire) == 0) (void)take_slot_locked(part, layer, local, false);
        lock.unlock();
        quiesce();
        lock.lock();
        --i;
        continue;
      }
      ++st.misses;
      slot_of_key_[k] = slot;
      slots_[static_cast<size_t>(slot)].key = key;
      slots_[static_cast<size_t>(slot)].state.store(kLoading, std::memory_order_relaxed);
      part.policy->on_insert(local);
      miss[n_miss++] = slot;
      ++pinned_[k];
      out[i] = slot_data(slot_ptr(slot), slices_[k]);
    }
  }
  const size_t n_batch = n_miss + n_late;
  if (n_batch > 0) {
    int32_t batch[kMaxK];
    std::copy(miss, miss + n_miss, batch);
    std::copy(late, late + n_late, batch + n_miss);
    const uint64_t t0 = tel::now_ns();
    try {
      read_batch(layer, batch, n_batch);
    } catch (...) {
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < n_batch; ++i) forget_locked(batch[i]);
      unpin_locked(layer, experts);  // the call fails as a whole: nothing stays pinned by it
      throw;
    }
    const uint64_t dt = tel::now_ns() - t0;
    // The pieces of a batch are copied together: each expert is charged an equal share.
    const uint64_t share = dt / n_batch;
    std::lock_guard lock(mutex_);
    st.miss_latency_ns += dt;
    for (size_t i = 0; i < n_batch; ++i) {
      Slot& s = slots_[static_cast<size_t>(batch[i])];
      const auto k = static_cast<size_t>(s.key);
      s.read_ns = share;
      if (i >= n_miss) {  // a late guess: its prefetch pin goes with the read it no longer does
        uint8_t& p = pinned_[k];
        if (p > 0) --p;
      }
      st.bytes_paged_in += slices_[k].total_bytes();
      ++st.miss_latency_hist[static_cast<size_t>(log2_bucket(share))];
      tel::record_cache(tel::CacheAction::miss, static_cast<uint16_t>(layer), static_cast<uint16_t>(s.key % n_experts_),
                        static_cast<uint32_t>(slices_[k].total_bytes()), static_cast<uint32_t>(std::min<uint64_t>(share, UINT32_MAX)));
      s.state.store(kReady, std::memory_order_release);
    }
  }
  for (size_t i = 0; i < n_wait; ++i) {  // a worker is reading it
    const Slot& s = slots_[static_cast<size_t>(to_wait[i])];
    const uint64_t t0 = tel::now_ns();
    int state;
    while ((state = s.state.load(std::memory_order_acquire)) == kLoading) std::this_thread::yield();
    const uint64_t waited = tel::now_ns() - t0;
    std::lock_guard lock(mutex_);
    if (state != kReady) {
      unpin_locked(layer, experts);
      throw IoError("expert cache: a prefetch read failed (layer " + std::to_string(layer) + ")");
    }
    st.miss_latency_ns += waited;
    if (s.read_ns > waited) st.hidden_latency_ns += s.read_ns - waited;
  }
}

void ExpertCache::release(int layer, std::span<const int32_t> experts) {
  if (config_.unlimited()) return;
  std::lock_guard lock(mutex_);
  unpin_locked(layer, experts);
}

void ExpertCache::prefetch(int layer, std::span<const int32_t> experts) {
  if (config_.unlimited() || !config_.prefetch) return;
  int32_t slots[kMaxK], keys[kMaxK];
  size_t n = 0;
  {
    std::unique_lock lock(mutex_);
    // Slots are taken (and victims evicted) here, on the session thread, so what is resident
    // never depends on when a worker gets to a read: routing stays deterministic.
    drop_unused_guesses_locked(lock, layer, {});  // a newer guess replaces an older one
    Partition& part = partition_of(layer);
    ExpertCacheLayerStats& st = stats_[static_cast<size_t>(layer)];
    for (size_t i = 0; i < experts.size() && n < kMaxK; ++i) {
      const int32_t key = key_of(layer, experts[i]);
      const auto k = static_cast<size_t>(key);
      if (slot_of_key_[k] >= 0) continue;
      const int32_t local = partitions_.size() > 1 ? experts[i] : key;
      const int32_t slot = take_slot_locked(part, layer, local, true);
      if (slot < 0) break;  // everything pinned: nothing to gain
      slot_of_key_[k] = slot;
      Slot& s = slots_[static_cast<size_t>(slot)];
      s.key = key;
      s.read_ns = 0;
      s.state.store(queued(key), std::memory_order_relaxed);
      part.policy->on_insert(local);
      ++pinned_[k];  // a guess cannot be evicted before the router has seen it
      prefetched_[k] = 1;
      int32_t& np = pending_n_[static_cast<size_t>(layer)];
      pending_[static_cast<size_t>(layer) * static_cast<size_t>(n_experts_) + static_cast<size_t>(np++)] = slot;
      ++st.prefetch_issued;
      tel::record_cache(tel::CacheAction::prefetch_issued, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]),
                        static_cast<uint32_t>(slices_[k].total_bytes()), 0);
      slots[n] = slot;
      keys[n++] = key;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    reads_in_flight_.fetch_add(1, std::memory_order_acq_rel);
    // Captures fit std::function's inline buffer: spawning allocates nothing here.
    auto task = [this, slot = slots[i], key = keys[i]] {
      prefetch_read(slot, key);
      reads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    };
    if (spawn_) spawn_(std::move(task)); else task();
  }
}

void ExpertCache::prefetch_read(int32_t slot, int32_t key) noexcept {
  Slot& s = slots_[static_cast<size_t>(slot)];
  int expected = queued(key);
  // Whoever moves the slot out of queued(key) owns the read: acquire() may have read it (the
  // router took the guess first) or dropped it (the router did not).
  if (!s.state.compare_exchange_strong(expected, kLoading, std::memory_order_acq_rel)) return;
  const uint64_t t0 = tel::now_ns();
  bool ok = true;
  try {
    read_into(slot, key);
  } catch (...) {
    ok = false;
  }
  std::lock_guard lock(mutex_);
  if (ok) {
    const auto k = static_cast<size_t>(key);
    s.read_ns = tel::now_ns() - t0;
    stats_[static_cast<size_t>(key / n_experts_)].bytes_paged_in += slices_[k].total_bytes();
    uint8_t& p = pinned_[k];
    if (p > 0) --p;
    s.state.store(kReady, std::memory_order_release);
  } else {
    forget_locked(slot);  // an acquire() waiting on it sees kEmpty and reports the error
  }
}

void ExpertCache::quiesce() {
  while (reads_in_flight_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
}

int ExpertCache::max_pinned(int layer) const noexcept {
  if (config_.unlimited()) return n_experts_;
  const size_t cap = partitions_.size() > 1 ? partitions_[static_cast<size_t>(layer)].capacity : n_slots_;
  return static_cast<int>(std::min<size_t>(cap, static_cast<size_t>(n_experts_)));
}

bool ExpertCache::resident(int layer, int expert) const noexcept {
  if (config_.unlimited()) return true;
  std::lock_guard lock(mutex_);
  const auto k = static_cast<size_t>(key_of(layer, expert));
  return slot_of_key_[k] >= 0 && !prefetched_[k];
}

void ExpertCache::residency(int layer, uint8_t* resident) const noexcept {
  if (config_.unlimited()) {
    std::fill(resident, resident + n_experts_, uint8_t{1});
    return;
  }
  std::lock_guard lock(mutex_);
  for (int e = 0; e < n_experts_; ++e) {
    const auto k = static_cast<size_t>(key_of(layer, e));
    resident[e] = slot_of_key_[k] >= 0 && !prefetched_[k];
  }
}

ExpertCacheLayerStats ExpertCache::layer_stats(int layer) const {
  std::lock_guard lock(mutex_);
  return stats_.at(static_cast<size_t>(layer));
}

ExpertCacheLayerStats ExpertCache::total_stats() const {
  std::lock_guard lock(mutex_);
  ExpertCacheLayerStats t;
  for (const ExpertCacheLayerStats& s : stats_) t += s;
  return t;
}

void ExpertCache::reset_stats() {
  std::lock_guard lock(mutex_);
  for (ExpertCacheLayerStats& s : stats_) s = {};
}

}  // namespace moe
