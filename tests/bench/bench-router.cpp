// Router cost per call for the (experts, top-k) shapes of common MoE models, exact and
// memory-aware. Global operator new is replaced in this binary: the `allocs` counter must be 0.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "moe/router.hpp"

namespace {
std::atomic<long> g_allocs{0};
}  // namespace

// The replaced operator new is malloc-based, so free() is the matching release.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

// 64 rows of logits so the branch predictor does not learn one row.
struct Inputs {
  int n_expert;
  std::vector<float> logits;
  std::vector<uint8_t> resident;
  std::vector<float> probs;
  explicit Inputs(int n) : n_expert(n), logits(64 * static_cast<size_t>(n)), resident(static_cast<size_t>(n)),
                           probs(static_cast<size_t>(n)) {
    std::mt19937 rng(42);
    std::normal_distribution<float> d(0.0f, 2.0f);
    for (float& l : logits) l = d(rng);
    for (size_t e = 0; e < resident.size(); ++e) resident[e] = (e % 2) == 0;
  }
};

void run(benchmark::State& state, bool renorm, moe::AwareMode mode) {
  const int n = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
  Inputs in(n);
  std::vector<int32_t> ids(static_cast<size_t>(k));
  std::vector<float> w(static_cast<size_t>(k));
  const moe::RouterParams p{n, k, renorm, moe::GateFn::softmax};
  const moe::AwareParams a{mode, 0.2f, 0.05f};
  size_t row = 0;
  const long allocs0 = g_allocs.load();
  for (auto _ : state) {
    const float* l = in.logits.data() + row * static_cast<size_t>(n);
    if (mode == moe::AwareMode::off) {
      moe::route(p, l, {in.probs.data()}, ids.data(), w.data());
    } else {
      benchmark::DoNotOptimize(moe::route_aware(p, a, l, in.resident.data(), {in.probs.data()}, ids.data(), w.data()));
    }
    benchmark::DoNotOptimize(ids.data());
    benchmark::DoNotOptimize(w.data());
    row = (row + 1) & 63;
  }
  state.counters["allocs"] = benchmark::Counter(static_cast<double>(g_allocs.load() - allocs0),
                                                benchmark::Counter::kAvgIterations);
}

void BM_route(benchmark::State& s) { run(s, false, moe::AwareMode::off); }
void BM_route_renorm(benchmark::State& s) { run(s, true, moe::AwareMode::off); }
void BM_route_aware_margin(benchmark::State& s) { run(s, false, moe::AwareMode::margin); }
void BM_route_aware_bonus(benchmark::State& s) { run(s, false, moe::AwareMode::bonus); }

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [n, k] : {std::pair{8, 2}, {16, 2}, {32, 4}, {60, 4}, {64, 8}, {128, 8}, {256, 8}}) b->Args({n, k});
  b->ArgNames({"experts", "k"});
}

}  // namespace

BENCHMARK(BM_route)->Apply(shapes);
BENCHMARK(BM_route_renorm)->Apply(shapes);
BENCHMARK(BM_route_aware_margin)->Apply(shapes);
BENCHMARK(BM_route_aware_bonus)->Apply(shapes);
BENCHMARK_MAIN();
