#include <fstream>
#include <string>

#include "moe/telemetry/clock.hpp"

namespace moe::tel {
namespace {

bool invariant_tsc() {
#if defined(__x86_64__)
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    return line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
  }
#endif
  return false;
}

ClockCalibration calibrate() {
  ClockCalibration c;
  c.steady0_ns = steady_now_ns();
#if defined(__x86_64__)
  if (!invariant_tsc()) return c;
  // Two readings 2 ms apart give the tick length to about 1e-4; drift over a session is
  // bounded by that (a 10 s trace is off by at most ~1 ms at its end).
  const uint64_t t0 = __rdtsc();
  const int64_t s0 = steady_now_ns();
  int64_t s1 = s0;
  while (s1 - s0 < 2'000'000) s1 = steady_now_ns();
  const uint64_t t1 = __rdtsc();
  if (t1 <= t0) return c;
  c.source = ClockSource::tsc;
  c.ns_per_tick = static_cast<double>(s1 - s0) / static_cast<double>(t1 - t0);
  c.tsc0 = t1;
  c.steady0_ns = s1;
#endif
  return c;
}

}  // namespace

const ClockCalibration& clock_calibration() noexcept {
  static const ClockCalibration c = calibrate();
  return c;
}

}  // namespace moe::tel
