#include "moe/telemetry/hub.hpp"

#include <algorithm>
#include <cstring>

namespace moe::tel {
namespace {

// Gives the thread's ring back to the hub when the thread ends, so pools of short-lived
// threads do not exhaust the producer table.
struct ThreadRing {
  EventRing* ring = nullptr;
  ~ThreadRing() {
    if (ring) Hub::instance().release_current_thread();
  }
};
thread_local ThreadRing t_ring;

}  // namespace

Hub& Hub::instance() noexcept {
  static Hub hub;
  return hub;
}

EventRing* Hub::claim_ring() noexcept {
  // Reuse a ring a finished thread released (its undrained records stay drainable).
  const size_t n = n_producers_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    bool expected = false;
    if (producers_[i].ring.load(std::memory_order_acquire) &&
        producers_[i].in_use.compare_exchange_strong(expected, true))
      return producers_[i].ring.load(std::memory_order_acquire);
  }
  const size_t idx = n_producers_.fetch_add(1, std::memory_order_acq_rel);
  if (idx >= kMaxProducers) {
    n_producers_.store(kMaxProducers, std::memory_order_release);
    return nullptr;
  }
  EventRing* ring = nullptr;
  try {
    ring = new EventRing(kRingCapacity);  // once per thread; lives as long as the process
  } catch (...) {
    return nullptr;
  }
  producers_[idx].in_use.store(true, std::memory_order_relaxed);
  producers_[idx].ring.store(ring, std::memory_order_release);
  return ring;
}

void Hub::record(const Event& e) noexcept {
  if (!enabled()) return;
  if (!t_ring.ring) t_ring.ring = claim_ring();
  if (!t_ring.ring) {
    unrecorded_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  t_ring.ring->push(e);
}

void Hub::release_current_thread() noexcept {
  const size_t n = std::min(n_producers_.load(std::memory_order_acquire), kMaxProducers);
  for (size_t i = 0; i < n; ++i)
    if (producers_[i].ring.load(std::memory_order_acquire) == t_ring.ring)
      producers_[i].in_use.store(false, std::memory_order_release);
  t_ring.ring = nullptr;
}

size_t Hub::drain(const std::function<void(size_t, const Event&)>& fn) {
  std::lock_guard lock(consumer_mutex_);
  size_t delivered = 0;
  const size_t n = std::min(n_producers_.load(std::memory_order_acquire), kMaxProducers);
  for (size_t i = 0; i < n; ++i) {
    EventRing* ring = producers_[i].ring.load(std::memory_order_acquire);
    if (!ring) continue;
    delivered += ring->drain([&](const Event& e) { fn(i, e); });
  }
  return delivered;
}

uint64_t Hub::dropped() const noexcept {
  uint64_t total = 0;
  const size_t n = std::min(n_producers_.load(std::memory_order_acquire), kMaxProducers);
  for (size_t i = 0; i < n; ++i)
    if (EventRing* ring = producers_[i].ring.load(std::memory_order_acquire)) total += ring->dropped();
  return total;
}

// ---- recording helpers -------------------------------------------------------------------

void record_span(OpKind op, uint16_t layer, uint64_t t_start_ns, uint64_t t_end_ns, uint64_t bytes,
                 uint64_t flops) noexcept {
  if (!on()) return;
  Event e{};
  e.kind = EventKind::kernel_span;
  e.span = KernelSpanEvent{t_start_ns, t_end_ns, bytes, flops, layer, op};
  Hub::instance().record(e);
}

void record_cache(CacheAction action, uint16_t layer, uint16_t expert, uint32_t bytes,
                  uint32_t latency_ns) noexcept {
  if (!on()) return;
  Event e{};
  e.kind = EventKind::cache;
  e.cache = CacheEvent{now_ns(), bytes, latency_ns, layer, expert, action};
  Hub::instance().record(e);
}

void record_routing(uint32_t position, uint16_t layer, const int32_t* experts, const float* weights, int k,
                    uint32_t resident_mask, uint32_t changed_mask) noexcept {
  if (!on()) return;
  for (int first = 0; first < k; first += kMaxRoutedPerEvent) {
    Event e{};
    e.kind = EventKind::routing;
    RoutingEvent& r = e.routing;
    r.position = position;
    r.layer = layer;
    r.first = static_cast<uint8_t>(first);
    r.k = static_cast<uint8_t>(std::min(kMaxRoutedPerEvent, k - first));
    r.resident_mask = static_cast<uint8_t>(resident_mask >> first);
    r.changed_mask = static_cast<uint8_t>(changed_mask >> first);
    for (int i = 0; i < r.k; ++i) {
      r.experts[i] = static_cast<uint16_t>(experts[first + i]);
      r.weights[i] = weights[first + i];
    }
    Hub::instance().record(e);
  }
}

void record_token(uint32_t position, int32_t token, bool prefill, uint16_t n_tokens, uint64_t t_start_ns,
                  uint64_t t_end_ns) noexcept {
  if (!on()) return;
  Event e{};
  e.kind = EventKind::token_step;
  e.token = TokenStepEvent{t_start_ns, t_end_ns, position, token, static_cast<uint8_t>(prefill), n_tokens};
  Hub::instance().record(e);
}

const char* op_name(OpKind op) noexcept {
  switch (op) {
    case OpKind::embedding: return "embedding";
    case OpKind::norm: return "norm";
    case OpKind::attention: return "attention";
    case OpKind::rope: return "rope";
    case OpKind::router: return "router";
    case OpKind::expert_ffn: return "experts";
    case OpKind::shared_expert: return "shared expert";
    case OpKind::dense_ffn: return "dense ffn";
    case OpKind::output_head: return "output head";
    case OpKind::sampling: return "sampling";
    case OpKind::page_in: return "page-in";
    case OpKind::layer: return "layer";
    default: return "other";
  }
}

const char* cache_action_name(CacheAction a) noexcept {
  switch (a) {
    case CacheAction::hit: return "hit";
    case CacheAction::miss: return "miss";
    case CacheAction::eviction: return "eviction";
    case CacheAction::prefetch_issued: return "prefetch issued";
    case CacheAction::prefetch_used: return "prefetch used";
    case CacheAction::prefetch_wasted: return "prefetch wasted";
  }
  return "unknown";
}

}  // namespace moe::tel
