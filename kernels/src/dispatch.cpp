#include "moe/kernels/dispatch.hpp"

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace moe::kern {

const KernelTable& table_scalar();
#if MOE_HAVE_SSE42
const KernelTable& table_sse42();
#endif
#if MOE_HAVE_AVX2
const KernelTable& table_avx2();
#endif
#if MOE_HAVE_AVX512
const KernelTable& table_avx512();
#endif
#if MOE_HAVE_NEON
const KernelTable& table_neon();
#endif

namespace {

#if defined(__x86_64__) || defined(__i386__)
// F16C through CPUID: clang 14 does not accept "f16c" in __builtin_cpu_supports.
bool has_f16c() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
}
#endif

bool cpu_has(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar: return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::sse42: return __builtin_cpu_supports("sse4.2");
    case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           has_f16c();
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("fma") && has_f16c();
#endif
#if defined(__aarch64__)
    case Isa::neon: return true;  // NEON is part of the arm64 baseline
#endif
    default: return false;
  }
}

bool compiled(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::sse42: return MOE_HAVE_SSE42 != 0;
    case Isa::avx2: return MOE_HAVE_AVX2 != 0;
    case Isa::avx512: return MOE_HAVE_AVX512 != 0;
    case Isa::neon: return MOE_HAVE_NEON != 0;
  }
  return false;
}

struct Runnable {
  std::array<Isa, 5> list{};
  size_t count = 0;
};

const Runnable& runnable() noexcept {
  static const Runnable r = [] {
    Runnable out;
    for (Isa isa : {Isa::scalar, Isa::sse42, Isa::avx2, Isa::avx512, Isa::neon})
      if (compiled(isa) && cpu_has(isa)) out.list[out.count++] = isa;
    return out;
  }();
  return r;
}

}  // namespace

std::string_view isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::sse42: return "sse42";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "unknown";
}

bool isa_runnable(Isa isa) noexcept { return compiled(isa) && cpu_has(isa); }

std::span<const Isa> runnable_isas() noexcept {
  const Runnable& r = runnable();
  return {r.list.data(), r.count};
}

Isa best_isa() noexcept {
  std::span<const Isa> all = runnable_isas();
  Isa best = all.back();
  if (const char* cap = std::getenv("MOESCOPE_ISA")) {
    for (Isa isa : all)
      if (isa_name(isa) == cap) return isa;
  }
  return best;
}

const KernelTable& kernels_for(Isa isa) {
  if (!isa_runnable(isa))
    throw std::invalid_argument("kernel variant '" + std::string(isa_name(isa)) +
                                "' is not compiled in or not supported by this CPU");
  switch (isa) {
#if MOE_HAVE_SSE42
    case Isa::sse42: return table_sse42();
#endif
#if MOE_HAVE_AVX2
    case Isa::avx2: return table_avx2();
#endif
#if MOE_HAVE_AVX512
    case Isa::avx512: return table_avx512();
#endif
#if MOE_HAVE_NEON
    case Isa::neon: return table_neon();
#endif
    default: return table_scalar();
  }
}

const KernelTable& kernels() noexcept {
  static const KernelTable& chosen = kernels_for(best_isa());
  return chosen;
}

}  // namespace moe::kern
