#pragma once
// The process-wide telemetry hub: one EventRing per producing thread, drained by one consumer
// (the GUI's timer, or the CLI's trace writer). Switchable at run time; with
// MOESCOPE_METRICS=OFF every recording call compiles to nothing and no clock is read.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "moe/telemetry/clock.hpp"
#include "moe/telemetry/events.hpp"
#include "moe/telemetry/ring.hpp"

#ifndef MOESCOPE_METRICS
#define MOESCOPE_METRICS 1
#endif

namespace moe::tel {

inline constexpr bool kCompiledIn = MOESCOPE_METRICS != 0;

class Hub {
 public:
  static constexpr size_t kMaxProducers = 64;
  static constexpr size_t kRingCapacity = 1 << 14;  // events per producing thread

  static Hub& instance() noexcept;

  bool enabled() const noexcept { return kCompiledIn && enabled_.load(std::memory_order_relaxed); }
  void set_enabled(bool on) noexcept { enabled_.store(on, std::memory_order_relaxed); }

  // Producer side: appends to the calling thread's ring (claimed on the thread's first event;
  // that first call allocates the ring once, later calls never allocate).
  void record(const Event& e) noexcept;

  // Consumer side (one consumer at a time): every intact record of every ring, ring by ring,
  // each ring in order. fn(producer_index, event). Returns the number delivered.
  size_t drain(const std::function<void(size_t, const Event&)>& fn);
  uint64_t dropped() const noexcept;        // records lost to overwriting, all rings
  uint64_t unrecorded() const noexcept { return unrecorded_.load(std::memory_order_relaxed); }

  // Releases the calling thread's ring for reuse by a later thread (runs at thread exit).
  void release_current_thread() noexcept;

 private:
  Hub() = default;
  EventRing* claim_ring() noexcept;

  struct Producer {
    std::atomic<EventRing*> ring{nullptr};
    std::atomic<bool> in_use{false};
  };
  std::atomic<bool> enabled_{true};
  std::array<Producer, kMaxProducers> producers_{};
  std::atomic<size_t> n_producers_{0};
  std::atomic<uint64_t> unrecorded_{0};  // events lost because no ring could be claimed
  std::mutex consumer_mutex_;            // consumers only; producers never take it
};

// ---- recording helpers (no-ops when compiled out or switched off) ------------------------
inline bool on() noexcept { return kCompiledIn && Hub::instance().enabled(); }

inline uint64_t timestamp() noexcept {
  if constexpr (kCompiledIn) return on() ? now_ns() : 0;
  return 0;
}

void record_span(OpKind op, uint16_t layer, uint64_t t_start_ns, uint64_t t_end_ns, uint64_t bytes = 0,
                 uint64_t flops = 0) noexcept;
void record_cache(CacheAction action, uint16_t layer, uint16_t expert, uint32_t bytes, uint32_t latency_ns) noexcept;
void record_routing(uint32_t position, uint16_t layer, const int32_t* experts, const float* weights, int k,
                    uint32_t resident_mask, uint32_t changed_mask) noexcept;
void record_token(uint32_t position, int32_t token, bool prefill, uint16_t n_tokens, uint64_t t_start_ns,
                  uint64_t t_end_ns) noexcept;

// Closes a span opened with t0 = timestamp() (no-op when t0 is 0: telemetry off).
inline void end_span(OpKind op, uint16_t layer, uint64_t t0, uint64_t bytes = 0, uint64_t flops = 0) noexcept {
  if constexpr (kCompiledIn) {
    if (t0 != 0) record_span(op, layer, t0, now_ns(), bytes, flops);
  }
}

// Times a scope as a kernel span.
class ScopedSpan {
 public:
  ScopedSpan(OpKind op, uint16_t layer, uint64_t bytes = 0, uint64_t flops = 0) noexcept
      : op_(op), layer_(layer), bytes_(bytes), flops_(flops), t0_(timestamp()) {}
  ~ScopedSpan() {
    if (t0_ != 0) record_span(op_, layer_, t0_, now_ns(), bytes_, flops_);
  }
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;

 private:
  OpKind op_;
  uint16_t layer_;
  uint64_t bytes_, flops_;
  uint64_t t0_;
};

}  // namespace moe::tel
