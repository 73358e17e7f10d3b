#include "moe/expert-cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "cache-policies.hpp"
#include "moe/errors.hpp"
#include "moe/telemetry/hub.hpp"

namespace moe {

namespace {

constexpr size_t kAlign = 64;  // slot and slice starts: full cache lines for the SIMD kernels
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

enum SlotState : int { kEmpty = 0, kLoading = 1, kReady = 2 };
// A prefetch read of `key` waiting for a worker: whoever moves the slot from this state to
// kLoading does the read. The key is part of the state so a stale task whose slot was since
// read, evicted and queued again for another key cannot take the new read.
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
                         const std::filesystem::path& file, const ExpertCacheConfig& config, TaskSpawner spawn)
    : n_layers_(n_layers), n_experts_(n_experts), config_(config), slices_(std::move(slices)), spawn_(std::move(spawn)) {
  if (n_layers <= 0 || n_experts <= 0 || max_active <= 0 || max_active > n_experts)
    throw ConfigError("expert cache: invalid shape (" + std::to_string(n_layers) + " layers, " +
                      std::to_string(n_experts) + " experts, " + std::to_string(max_active) + " active)");
  const size_t n_keys = static_cast<size_t>(n_layers) * static_cast<size_t>(n_experts);
  if (slices_.size() != n_keys) throw ConfigError("expert cache: slice table does not match layers x experts");
  for (const ExpertSlices& s : slices_) {
    size_t sz = 0;
    for (size_t b : s.bytes) sz += round_up(b);
    expert_bytes_ = std::max<uint64_t>(expert_bytes_, sz);
  }
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
  pool_bytes_ = n_slots_ * expert_bytes_;
  pool_ = static_cast<std::byte*>(std::aligned_alloc(kAlign, std::max<size_t>(pool_bytes_, kAlign)));
  if (!pool_) throw ConfigError("expert cache: cannot allocate a pool of " + std::to_string(pool_bytes_) + " bytes");
  slots_ = std::vector<Slot>(n_slots_);
  slot_of_key_.assign(n_keys, -1);
  pinned_.assign(n_keys, 0);
  prefetched_.assign(n_keys, 0);

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

  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    std::free(pool_);
    throw IoError(file.string() + ": cannot open for expert paging: " + std::strerror(errno));
  }
}

ExpertCache::~ExpertCache() {
  quiesce();
  if (fd_ >= 0) ::close(fd_);
  std::free(pool_);
}

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
  const ExpertSlices& s = slices_[static_cast<size_t>(key)];
  std::byte* dst = pool_ + static_cast<size_t>(slot) * expert_bytes_;
  for (size_t m = 0; m < 3; ++m) {
    size_t done = 0;
    while (done < s.bytes[m]) {
      const ssize_t n = ::pread(fd_, dst + done, s.bytes[m] - done, static_cast<off_t>(s.file_offset[m] + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw IoError("expert cache: reading expert " + std::to_string(key % n_experts_) + " of layer " +
                                std::to_string(key / n_experts_) + " failed: " + (n < 0 ? std::strerror(errno) : "end of file"));
      done += static_cast<size_t>(n);
    }
    if (config_.drop_page_cache)
      ::posix_fadvise(fd_, static_cast<off_t>(s.file_offset[m]), static_cast<off_t>(s.bytes[m]), POSIX_FADV_DONTNEED);
    dst += round_up(s.bytes[m]);
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
  constexpr size_t kMaxK = 64;
  if (experts.size() > kMaxK) throw ConfigError("expert cache: more than 64 experts requested for one token");
  int32_t to_read[kMaxK];
  int32_t to_wait[kMaxK];
  size_t n_read = 0, n_wait = 0;
  const bool per_layer = partitions_.size() > 1;
  {
    std::unique_lock lock(mutex_);
    Partition& part = partition_of(layer);
    for (size_t i = 0; i < experts.size(); ++i) {
      const int32_t key = key_of(layer, experts[i]);
      const auto k = static_cast<size_t>(key);
      const int32_t local = per_layer ? experts[i] : key;
      int32_t slot = slot_of_key_[k];
      if (slot >= 0) {
        ++st.hits;
        part.policy->on_hit(local);
        if (prefetched_[k]) {
          prefetched_[k] = 0;
          ++st.prefetch_used;
          st.hidden_latency_ns += slots_[static_cast<size_t>(slot)].read_ns;
          tel::record_cache(tel::CacheAction::prefetch_used, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]), 0, 0);
        }
        tel::record_cache(tel::CacheAction::hit, static_cast<uint16_t>(layer), static_cast<uint16_t>(experts[i]), 0, 0);
        if (slots_[static_cast<size_t>(slot)].state.load(std::memory_order_acquire) != kReady) to_wait[n_wait++] = slot;
      } else {
        slot = take_slot_locked(part, layer, local, true);
        if (slot < 0) {
          // Every slot is pinned: by this call's experts, or by prefetch reads still in flight
          // (a wrong guess for this layer). Wait for those reads and look again.
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
        to_read[n_read++] = slot;
      }
      ++pinned_[k];
      out[i] = slot_data(pool_ + static_cast<size_t>(slot) * expert_bytes_, slices_[k]);
    }
  }
  for (size_t i = 0; i < n_read; ++i) {  // misses: synchronous reads, outside the lock
    Slot& s = slots_[static_cast<size_t>(to_read[i])];
    const uint64_t t0 = tel::now_ns();
    read_into(to_read[i], s.key);
    const uint64_t dt = tel::now_ns() - t0;
    s.read_ns = dt;
    s.state.store(kReady, std::memory_order_release);
    std::lock_guard lock(mutex_);
    st.miss_latency_ns += dt;
    st.bytes_paged_in += slices_[static_cast<size_t>(s.key)].total_bytes();
    ++st.miss_latency_hist[static_cast<size_t>(log2_bucket(dt))];
    tel::record_cache(tel::CacheAction::miss, static_cast<uint16_t>(layer), static_cast<uint16_t>(s.key % n_experts_),
                      static_cast<uint32_t>(slices_[static_cast<size_t>(s.key)].total_bytes()), static_cast<uint32_t>(std::min<uint64_t>(dt, UINT32_MAX)));
  }
  for (size_t i = 0; i < n_wait; ++i) {  // a prefetch of this expert is queued or reading
    const uint64_t t0 = tel::now_ns();
    Slot& sl = slots_[static_cast<size_t>(to_wait[i])];
    int expected = queued(sl.key);
    if (sl.state.compare_exchange_strong(expected, kLoading, std::memory_order_acq_rel)) {
      // No worker has started it: read it here instead of waiting for one (on a busy machine
      // a yielding wait can cost a scheduler time slice).
      try {
        read_into(to_wait[i], sl.key);
      } catch (...) {
        std::lock_guard lock(mutex_);
        uint8_t& p = pinned_[static_cast<size_t>(sl.key)];
        if (p > 0) --p;
        sl.state.store(kEmpty, std::memory_order_release);
        throw;
      }
      const uint64_t dt = tel::now_ns() - t0;
      sl.read_ns = 0;  // nothing was hidden
      std::lock_guard lock(mutex_);
      uint8_t& p = pinned_[static_cast<size_t>(sl.key)];  // the prefetch's pin
      if (p > 0) --p;
      sl.state.store(kReady, std::memory_order_release);
      st.miss_latency_ns += dt;
      continue;
    }
    int state;
    while ((state = slots_[static_cast<size_t>(to_wait[i])].state.load(std::memory_order_acquire)) == kLoading)
      std::this_thread::yield();
    if (state != kReady) throw IoError("expert cache: a prefetch read failed");
    std::lock_guard lock(mutex_);
    st.miss_latency_ns += tel::now_ns() - t0;
  }
}

void ExpertCache::release(int layer, std::span<const int32_t> experts) {
  if (config_.unlimited()) return;
  std::lock_guard lock(mutex_);
  for (int32_t e : experts) {
    uint8_t& p = pinned_[static_cast<size_t>(key_of(layer, e))];
    if (p > 0) --p;
  }
}

void ExpertCache::prefetch(int layer, std::span<const int32_t> experts) {
  if (config_.unlimited() || !config_.prefetch) return;
  const bool per_layer = partitions_.size() > 1;
  for (int32_t e : experts) {
    const int32_t key = key_of(layer, e);
    const auto k = static_cast<size_t>(key);
    int32_t slot;
    {
      std::lock_guard lock(mutex_);
      if (slot_of_key_[k] >= 0) continue;
      Partition& part = partition_of(layer);
      slot = take_slot_locked(part, layer, per_layer ? e : key, true);
      if (slot < 0) return;  // everything pinned: nothing to gain
      slot_of_key_[k] = slot;
      slots_[static_cast<size_t>(slot)].key = key;
      slots_[static_cast<size_t>(slot)].state.store(queued(key), std::memory_order_relaxed);
      slots_[static_cast<size_t>(slot)].read_ns = 0;  // hidden latency counts only finished reads
      part.policy->on_insert(per_layer ? e : key);
      ++pinned_[k];  // a slot being read cannot be evicted
      prefetched_[k] = 1;
      ExpertCacheLayerStats& st = stats_[static_cast<size_t>(layer)];
      ++st.prefetch_issued;
      st.bytes_paged_in += slices_[k].total_bytes();
      tel::record_cache(tel::CacheAction::prefetch_issued, static_cast<uint16_t>(layer), static_cast<uint16_t>(e),
                        static_cast<uint32_t>(slices_[k].total_bytes()), 0);
    }
    reads_in_flight_.fetch_add(1, std::memory_order_acq_rel);
    auto task = [this, slot, key] {
      Slot& s = slots_[static_cast<size_t>(slot)];
      int expected = queued(key);
      if (!s.state.compare_exchange_strong(expected, kLoading, std::memory_order_acq_rel)) {
        reads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);  // acquire() read it already
        return;
      }
      const uint64_t t0 = tel::now_ns();
      bool ok = true;
      try {
        read_into(slot, key);
      } catch (...) {
        ok = false;
      }
      const uint64_t read_ns = tel::now_ns() - t0;
      {
        std::lock_guard lock(mutex_);
        s.read_ns = read_ns;  // under the lock: acquire() reads it for a prefetch hit (TSan finding)
        uint8_t& p = pinned_[static_cast<size_t>(key)];
        if (p > 0) --p;
        s.state.store(ok ? kReady : kEmpty, std::memory_order_release);
      }
      reads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    };
    if (spawn_) spawn_(std::move(task)); else task();
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
  return slot_of_key_[static_cast<size_t>(key_of(layer, expert))] >= 0;
}

void ExpertCache::residency(int layer, uint8_t* resident) const noexcept {
  if (config_.unlimited()) {
    std::fill(resident, resident + n_experts_, uint8_t{1});
    return;
  }
  std::lock_guard lock(mutex_);
  for (int e = 0; e < n_experts_; ++e) resident[e] = slot_of_key_[static_cast<size_t>(key_of(layer, e))] >= 0;
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
