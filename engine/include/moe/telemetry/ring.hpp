#pragma once
// A single-producer ring of telemetry events that never blocks the producer: when the consumer
// falls behind, the producer overwrites the oldest records and the consumer counts them as
// dropped. Each slot is a seqlock over atomic words, so a record torn by an overwrite is
// detected and dropped, never delivered half-written. No locks, no allocation after creation.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "moe/telemetry/events.hpp"

namespace moe::tel {

class EventRing {
 public:
  static constexpr size_t kWords = sizeof(Event) / 8;

  explicit EventRing(size_t capacity_pow2)
      : mask_(capacity_pow2 - 1), slots_(std::make_unique<Slot[]>(capacity_pow2)) {}

  size_t capacity() const noexcept { return mask_ + 1; }

  // Producer thread only.
  void push(const Event& e) noexcept {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    Slot& s = slots_[h & mask_];
    uint64_t words[kWords];
    std::memcpy(words, &e, sizeof(Event));
    s.seq.store(2 * h + 1, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    for (size_t i = 0; i < kWords; ++i) s.words[i].store(words[i], std::memory_order_relaxed);
    s.seq.store(2 * h + 2, std::memory_order_release);  // even and tied to h: complete
    head_.store(h + 1, std::memory_order_release);
  }

  // Consumer thread only: calls fn(const Event&) for every intact record in order.
  // Returns the number delivered; records lost to overwriting are added to dropped().
  template <class Fn>
  size_t drain(Fn&& fn) {
    const uint64_t h = head_.load(std::memory_order_acquire);
    if (h - read_ > capacity()) {
      dropped_ += h - capacity() - read_;
      read_ = h - capacity();
    }
    size_t delivered = 0;
    for (; read_ < h; ++read_) {
      Slot& s = slots_[read_ & mask_];
      const uint64_t want = 2 * read_ + 2;
      if (s.seq.load(std::memory_order_acquire) != want) {
        ++dropped_;
        continue;
      }
      uint64_t words[kWords];
      for (size_t i = 0; i < kWords; ++i) words[i] = s.words[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) != want) {  // overwritten while copying
        ++dropped_;
        continue;
      }
      Event e;
      std::memcpy(&e, words, sizeof(Event));
      fn(static_cast<const Event&>(e));
      ++delivered;
    }
    return delivered;
  }

  uint64_t dropped() const noexcept { return dropped_; }  // consumer thread
  uint64_t pushed() const noexcept { return head_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> words[kWords]{};
  };
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) uint64_t read_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace moe::tel
