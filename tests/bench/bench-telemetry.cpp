// Cost of the telemetry clock (steady_clock vs the calibrated TSC) and of recording an event.
#include <benchmark/benchmark.h>

#include "moe/telemetry/hub.hpp"

using namespace moe::tel;

static void BM_SteadyClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(steady_now_ns());
}
BENCHMARK(BM_SteadyClock);

static void BM_TelemetryClock(benchmark::State& state) {
  state.SetLabel(clock_calibration().source == ClockSource::tsc ? "tsc" : "steady");
  for (auto _ : state) benchmark::DoNotOptimize(now_ns());
}
BENCHMARK(BM_TelemetryClock);

static void BM_RecordSpan(benchmark::State& state) {
  Hub::instance().set_enabled(true);
  uint64_t n = 0;
  for (auto _ : state) {
    ScopedSpan span(OpKind::attention, 3, 4096, 8192);
    benchmark::DoNotOptimize(++n);
  }
  Hub::instance().drain([](size_t, const Event&) {});
}
BENCHMARK(BM_RecordSpan);

static void BM_RecordSpanSwitchedOff(benchmark::State& state) {
  Hub::instance().set_enabled(false);
  uint64_t n = 0;
  for (auto _ : state) {
    ScopedSpan span(OpKind::attention, 3);
    benchmark::DoNotOptimize(++n);
  }
  Hub::instance().set_enabled(true);
}
BENCHMARK(BM_RecordSpanSwitchedOff);

BENCHMARK_MAIN();
