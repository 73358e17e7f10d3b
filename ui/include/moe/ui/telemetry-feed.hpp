#pragma once
// A bounded multi-producer queue of telemetry records, drained by the GUI timer. It stands in
// for the engine's lock-free rings until those land: producers never wait on the GUI, only
// on a short critical section, and the oldest records are dropped (and counted) when full.
#include "moe/ui/telemetry-types.hpp"

#include <cstddef>
#include <mutex>
#include <vector>

namespace moe::ui {

struct TelemetryBatch {
  std::vector<RoutingSample> routing;
  std::vector<CacheSample> cache;
  std::vector<KernelSpan> kernels;
  std::vector<TokenStep> steps;
  std::size_t dropped = 0;
  bool empty() const { return routing.empty() && cache.empty() && kernels.empty() && steps.empty(); }
};

class TelemetryFeed {
 public:
  explicit TelemetryFeed(std::size_t capacityPerKind = 1 << 16) : capacity_(capacityPerKind) {}

  void push(const RoutingSample& s) { pushOne(batch_.routing, s); }
  void push(const CacheSample& s) { pushOne(batch_.cache, s); }
  void push(const KernelSpan& s) { pushOne(batch_.kernels, s); }
  void push(const TokenStep& s) { pushOne(batch_.steps, s); }

  // Moves everything queued so far into `out` (replacing its contents).
  void drain(TelemetryBatch& out) {
    TelemetryBatch fresh;
    std::lock_guard lock(mutex_);
    out = std::move(batch_);
    batch_ = std::move(fresh);
  }

 private:
  template <class T>
  void pushOne(std::vector<T>& v, const T& s) {
    std::lock_guard lock(mutex_);
    if (v.size() >= capacity_) {
      // Drop the oldest half at once so a stalled GUI costs one move per capacity/2 pushes.
      v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(capacity_ / 2));
      batch_.dropped += capacity_ / 2;
    }
    v.push_back(s);
  }

  std::size_t capacity_;
  std::mutex mutex_;
  TelemetryBatch batch_;
};

}  // namespace moe::ui
