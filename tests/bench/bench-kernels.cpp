// Kernel benchmarks (Google Benchmark; --benchmark_format=json works as usual).
//
// GEMV runs on weights well outside the caches (128 MiB) with 1 and 2 threads; each GEMV
// benchmark also times a plain streaming read of the same bytes with the same threads in the
// same run and reports read_GBps, gemv_GBps and ratio (best pass of each, wall clock), plus
// the same from per-thread CPU time (read_cpu_GBps, gemv_cpu_GBps, ratio_cpu), which is
// the fairer figure when other processes share the cores. GEMM reports
// GOP/s (2 ops per multiply-add) and the fraction of the core's peak, from the clock measured
// here: peak_f32 = 64 flop/cycle (2 x 512-bit FMA), peak_int8 = 256 op/cycle (2 x 512-bit
// VPDPBUSD, which the AVX-512 panel GEMM of Q8_0 / Q4_K / Q6_K uses; the other quantized
// types run 256-bit units, whose own ceiling is half that).
//
// Threads are std::thread splitting rows, here only: the engine parallelises with oneTBB.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/quant.hpp"

using namespace moe::kern;

namespace {

constexpr size_t kWeightBytes = size_t(128) << 20;
constexpr size_t kCols = 4096;

struct Buffer {
  std::unique_ptr<std::byte[], void (*)(void*)> data{nullptr, std::free};
  size_t bytes = 0;
};

Buffer aligned(size_t bytes) {
  Buffer b;
  b.data.reset(static_cast<std::byte*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
  b.bytes = bytes;
  return b;
}

// A matrix of `type` filling kWeightBytes: 64 rows quantized by the reference, then repeated
// (contents do not change the speed; distinct memory does).
struct Matrix {
  Buffer w;
  size_t rows = 0, row_bytes = 0;
  Buffer x;  // one activation row in vec_dot_type
};

const Matrix& matrix(GgmlType type) {
  static std::map<GgmlType, Matrix> cache;
  auto it = cache.find(type);
  if (it != cache.end()) return it->second;
  cache.clear();  // one big matrix at a time
  Matrix m;
  m.row_bytes = row_bytes(type, kCols);
  m.rows = kWeightBytes / m.row_bytes;
  m.w = aligned(m.rows * m.row_bytes);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> f(64 * kCols);
  for (float& v : f) v = dist(rng);
  for (size_t r = 0; r < 64; ++r) quantize_row_ref(type, f.data() + r * kCols, m.w.data.get() + r * m.row_bytes, kCols);
  for (size_t r = 64; r < m.rows; ++r)
    std::memcpy(m.w.data.get() + r * m.row_bytes, m.w.data.get() + (r % 64) * m.row_bytes, m.row_bytes);
  const GgmlType act = vec_dot_type(type);
  m.x = aligned(row_bytes(act, kCols));
  quantize_activation_ref(act, f.data(), m.x.data.get(), kCols);
  return cache.emplace(type, std::move(m)).first->second;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Runs f(r0, r1) on `threads` std::threads splitting [0, rows); returns the largest CPU time
// any of them used. On a shared machine wall time includes waiting for a core; CPU time is
// what the pass costs when it has the core (memory contention from others still counts).
template <class F>
double parallel_rows(size_t threads, size_t rows, F f) {
  std::vector<double> cpu(threads);
  auto run = [&](size_t i) {
    const double c0 = thread_cpu_seconds();
    f(rows * i / threads, rows * (i + 1) / threads);
    cpu[i] = thread_cpu_seconds() - c0;
  };
  if (threads == 1) {
    run(0);
  } else {
    std::vector<std::thread> pool;
    for (size_t i = 0; i < threads; ++i) pool.emplace_back(run, i);
    for (auto& t : pool) t.join();
  }
  return *std::max_element(cpu.begin(), cpu.end());
}

// Sum of 64-bit words: the loop the compiler turns into plain vector loads and adds.
uint64_t read_sum(const std::byte* p, size_t bytes) {
  const auto* q = reinterpret_cast<const uint64_t*>(p);
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= bytes / 8; i += 4) s0 += q[i], s1 += q[i + 1], s2 += q[i + 2], s3 += q[i + 3];
  return s0 + s1 + s2 + s3;
}

struct Rates {
  double wall_gbps = 0.0, cpu_gbps = 0.0;
};

// Best of five passes of a plain streaming read over the matrix's bytes.
Rates stream_read(const Matrix& m, size_t threads) {
  std::vector<uint64_t> sink(threads);
  Rates best;
  const double bytes = double(m.rows * m.row_bytes);
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu = parallel_rows(threads, m.rows, [&](size_t r0, size_t r1) {
      sink[r0 * threads / m.rows] += read_sum(m.w.data.get() + r0 * m.row_bytes, (r1 - r0) * m.row_bytes);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best.wall_gbps = std::max(best.wall_gbps, bytes / s / 1e9);
    best.cpu_gbps = std::max(best.cpu_gbps, bytes / cpu / 1e9);
  }
  benchmark::DoNotOptimize(sink.data());
  return best;
}

void BM_StreamRead(benchmark::State& state) {
  const Matrix& m = matrix(GgmlType::Q4_K);
  const size_t threads = size_t(state.range(0));
  std::vector<uint64_t> sink(threads);
  for (auto _ : state) {
    parallel_rows(threads, m.rows, [&](size_t r0, size_t r1) {
      sink[r0 * threads / m.rows] += read_sum(m.w.data.get() + r0 * m.row_bytes, (r1 - r0) * m.row_bytes);
    });
    benchmark::DoNotOptimize(sink.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(m.rows * m.row_bytes));
}

void BM_Gemv(benchmark::State& state, GgmlType type) {
  const Matrix& m = matrix(type);
  const size_t threads = size_t(state.range(0));
  const KernelTable& k = kernels();
  std::vector<float> y(m.rows);
  const GemvArgs a{type, m.w.data.get(), m.row_bytes, kCols, m.x.data.get(), y.data()};
  const Rates read = stream_read(m, threads);
  const double bytes = double(m.rows * m.row_bytes);
  Rates gemv;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu = parallel_rows(threads, m.rows, [&](size_t r0, size_t r1) { k.gemv(a, r0, r1); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(y.data());
    gemv.wall_gbps = std::max(gemv.wall_gbps, bytes / s / 1e9);  // best pass, as for the read
    gemv.cpu_gbps = std::max(gemv.cpu_gbps, bytes / cpu / 1e9);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(m.rows * m.row_bytes));
  state.counters["read_GBps"] = read.wall_gbps;
  state.counters["gemv_GBps"] = gemv.wall_gbps;
  state.counters["ratio"] = gemv.wall_gbps / read.wall_gbps;
  state.counters["read_cpu_GBps"] = read.cpu_gbps;
  state.counters["gemv_cpu_GBps"] = gemv.cpu_gbps;
  state.counters["ratio_cpu"] = gemv.cpu_gbps / read.cpu_gbps;
  state.SetLabel(std::string(k.isa_name) + (k.has_fast_path(type) ? "" : " (reference)"));
}

// The same GEMV on 512 KiB of weights that stay in L2: the kernel's compute ceiling.
void BM_GemvInCache(benchmark::State& state, GgmlType type) {
  const Matrix& m = matrix(type);
  const size_t rows = (size_t(512) << 10) / m.row_bytes;
  const KernelTable& k = kernels();
  std::vector<float> y(rows);
  const GemvArgs a{type, m.w.data.get(), m.row_bytes, kCols, m.x.data.get(), y.data()};
  for (auto _ : state) {
    k.gemv(a, 0, rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(rows * m.row_bytes));
}

// Clock of this core: a chain of dependent adds retires one per cycle.
double measure_ghz() {
  static const double ghz = [] {
    double best = 0.0;
    for (int rep = 0; rep < 5; ++rep) {
      uint64_t v = 1;
      const uint64_t n = 200'000'000;
      const double c0 = thread_cpu_seconds();  // CPU time: the cores are shared
      for (uint64_t i = 0; i < n; ++i) {
        v += i;
        asm volatile("" : "+r"(v));  // keep the chain: one add per iteration
      }
      const double s = thread_cpu_seconds() - c0;
      benchmark::DoNotOptimize(v);
      best = std::max(best, double(n) / s / 1e9);
    }
    return best;
  }();
  return ghz;
}

void BM_Gemm(benchmark::State& state, GgmlType type) {
  const size_t rows = 2048, cols = 4096, tokens = size_t(state.range(0));
  const GgmlType act = vec_dot_type(type);
  const size_t rb = row_bytes(type, cols), xb = row_bytes(act, cols);
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> f(cols);
  Buffer w = aligned(rows * rb), x = aligned(tokens * xb);
  for (size_t r = 0; r < rows; ++r) {
    for (float& v : f) v = dist(rng);
    quantize_row_ref(type, f.data(), w.data.get() + r * rb, cols);
  }
  for (size_t t = 0; t < tokens; ++t) {
    for (float& v : f) v = dist(rng);
    quantize_activation_ref(act, f.data(), x.data.get() + t * xb, cols);
  }
  std::vector<float> y(tokens * rows);
  const KernelTable& k = kernels();
  const GemmArgs a{type, w.data.get(), rb, cols, x.data.get(), xb, tokens, y.data(), rows};
  for (auto _ : state) {
    k.gemm(a, 0, rows);
    benchmark::DoNotOptimize(y.data());
  }
  const double ops = 2.0 * double(rows * cols * tokens) * double(state.iterations());
  state.counters["GOPs"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  const double ghz = measure_ghz();
  const bool is_float = type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
  state.counters["GHz"] = ghz;
  state.counters["peak_GOPs"] = ghz * (is_float ? 64.0 : 256.0);
  state.SetLabel(k.isa_name);
}

void BM_RmsNorm(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  std::vector<float> x(n, 0.5f), w(n, 1.1f), y(n);
  for (auto _ : state) {
    kernels().rms_norm(x.data(), w.data(), y.data(), n, 1e-6f);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(3 * n * 4));
}

void BM_Rope(benchmark::State& state) {
  const size_t heads = 32, dim = 128;
  std::vector<float> x(heads * dim, 0.3f), cs(dim);
  rope_cos_sin(cs.data(), 1234, dim, 10000.0f, 1.0f);
  const RopeMode mode = state.range(0) ? RopeMode::neox : RopeMode::normal;
  for (auto _ : state) {
    kernels().rope({x.data(), heads, dim, dim, cs.data(), mode});
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(heads * dim));
}

void BM_Softmax(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = float(i % 97) * 0.01f;
  for (auto _ : state) {
    kernels().softmax(x.data(), n, 1.0f);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_AttentionDecode(benchmark::State& state) {
  // 32 query heads sharing 8 KV heads of 128, F16 cache of n_kv positions. range(1) picks the
  // cache layout: 0 = [pos][kv head][dim], 1 = [kv head][pos][dim] (each head contiguous).
  const size_t H = 32, HKV = 8, D = 128, n_kv = size_t(state.range(0));
  const bool head_major = state.range(1) != 0;
  std::vector<uint16_t> k(n_kv * HKV * D, 0x3800), v(n_kv * HKV * D, 0x3400);
  std::vector<float> q(H * D, 0.1f), out(H * D);
  const size_t pos_stride = head_major ? D : HKV * D, head_stride = head_major ? n_kv * D : D;
  const AttentionArgs a{q.data(), k.data(), v.data(), GgmlType::F16, pos_stride, head_stride, pos_stride,
                        head_stride, H, HKV, D, 1, n_kv - 1, 1.0f / std::sqrt(float(D)), out.data()};
  for (auto _ : state) {
    kernels().attention(a, 0, H);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(2 * n_kv * HKV * D * 2));
  state.SetLabel(head_major ? "kv head-major" : "kv position-major");
}

}  // namespace

BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q4_K, GgmlType::Q4_K)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q6_K, GgmlType::Q6_K)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q8_0, GgmlType::Q8_0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q5_K, GgmlType::Q5_K)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q4_0, GgmlType::Q4_0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, f16, GgmlType::F16)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q3_K, GgmlType::Q3_K)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, q2_K, GgmlType::Q2_K)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, iq4_xs, GgmlType::IQ4_XS)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GemvInCache, q4_K, GgmlType::Q4_K);
BENCHMARK_CAPTURE(BM_GemvInCache, q6_K, GgmlType::Q6_K);
BENCHMARK_CAPTURE(BM_GemvInCache, q5_K, GgmlType::Q5_K);
BENCHMARK_CAPTURE(BM_GemvInCache, q8_0, GgmlType::Q8_0);
BENCHMARK_CAPTURE(BM_GemvInCache, q4_0, GgmlType::Q4_0);
BENCHMARK_CAPTURE(BM_GemvInCache, f16, GgmlType::F16);
BENCHMARK_CAPTURE(BM_GemvInCache, q3_K, GgmlType::Q3_K);
BENCHMARK_CAPTURE(BM_GemvInCache, q2_K, GgmlType::Q2_K);
BENCHMARK_CAPTURE(BM_GemvInCache, iq4_xs, GgmlType::IQ4_XS);
BENCHMARK_CAPTURE(BM_Gemm, q8_0, GgmlType::Q8_0)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, q4_K, GgmlType::Q4_K)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, q5_K, GgmlType::Q5_K)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, q6_K, GgmlType::Q6_K)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, q3_K, GgmlType::Q3_K)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, q2_K, GgmlType::Q2_K)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, f32, GgmlType::F32)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, f16, GgmlType::F16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RmsNorm)->Arg(4096);
BENCHMARK(BM_Rope)->Arg(0)->Arg(1);
BENCHMARK(BM_Softmax)->Arg(4096)->Arg(151936);
BENCHMARK(BM_AttentionDecode)->Args({512, 0})->Args({4096, 0})->Args({512, 1})->Args({4096, 1});

BENCHMARK_MAIN();
