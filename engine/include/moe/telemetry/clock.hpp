#pragma once
// The telemetry clock: nanoseconds on a monotonic timeline. On x86-64 with an invariant TSC
// (constant_tsc + nonstop_tsc) it reads the TSC and scales by a factor calibrated once against
// steady_clock; elsewhere it is steady_clock. bench-telemetry measures both (README: Measured).
#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace moe::tel {

enum class ClockSource { tsc, steady };

struct ClockCalibration {
  ClockSource source = ClockSource::steady;
  double ns_per_tick = 1.0;
  uint64_t tsc0 = 0;
  int64_t steady0_ns = 0;  // steady_clock at tsc0, so both sources share one timeline
};

const ClockCalibration& clock_calibration() noexcept;  // computed once (about 2 ms)

inline int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline uint64_t now_ns() noexcept {
#if defined(__x86_64__)
  const ClockCalibration& c = clock_calibration();
  if (c.source == ClockSource::tsc)
    return static_cast<uint64_t>(c.steady0_ns) +
           static_cast<uint64_t>(static_cast<double>(__rdtsc() - c.tsc0) * c.ns_per_tick);
#endif
  return static_cast<uint64_t>(steady_now_ns());
}

}  // namespace moe::tel
