#pragma once
// Activation quantization (f32 -> q8_0, q8_K) written once with xsimd, bit-identical to
// ggml's reference quantizers in quant.hpp: the same float operations in the same order per
// element, and the max / rounding steps emulated exactly (round half away from zero for
// q8_0, nearest-even for q8_K).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

#include "moe/kernels/fp16.hpp"
#include "moe/kernels/quant-blocks.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern::simd {

// std::round semantics (ties away from zero), exactly: trunc, then step by one where the
// dropped fraction is at least one half.
template <class Arch>
xsimd::batch<float, Arch> round_away(xsimd::batch<float, Arch> v) {
  using batch = xsimd::batch<float, Arch>;
  const batch t = xsimd::trunc(v);
  const batch frac = xsimd::abs(v - t);  // exact: v and t share the exponent range
  return xsimd::select(frac >= batch(0.5f), t + xsimd::copysign(batch(1.0f), v), t);
}

// Largest |x| of one block (N a multiple of the batch width: no tail).
template <class Arch, size_t N>
float abs_max(const float* x) {
  using batch = xsimd::batch<float, Arch>;
  static_assert(N % batch::size == 0);
  batch m(0.0f);
  for (size_t i = 0; i < N; i += batch::size) m = xsimd::max(m, xsimd::abs(batch::load_unaligned(x + i)));
  return hmax<Arch>(m);
}

template <class Arch>
void quantize_q8_0(const float* x, void* vy, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  auto* y = static_cast<block_q8_0*>(vy);
  for (size_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
    const float amax = abs_max<Arch, QK8_0>(x);
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp16_impl::f32_to_f16<Arch>(d);
    alignas(64) int32_t q[QK8_0];
    for (size_t i = 0; i < QK8_0; i += batch::size)
      xsimd::batch_cast<int32_t>(round_away<Arch>(batch::load_unaligned(x + i) * batch(id))).store_aligned(q + i);
    for (size_t i = 0; i < QK8_0; ++i) y[b].qs[i] = static_cast<int8_t>(q[i]);
  }
}

template <class Arch>
void quantize_q8_K(const float* x, void* vy, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  using i32 = xsimd::batch<int32_t, Arch>;
  auto* y = static_cast<block_q8_K*>(vy);
  for (size_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    const float amax = abs_max<Arch, QK_K>(x);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof y[b]);
      continue;
    }
    // The signed value of the first element of largest magnitude, as the reference's strict
    // > scan picks it.
    float max = 0.0f;
    for (size_t i = 0; i < QK_K; ++i)
      if (__builtin_fabsf(x[i]) == amax) {
        max = x[i];
        break;
      }
    const float iscale = -127.f / max;
    alignas(64) int32_t q[QK_K];
    for (size_t i = 0; i < QK_K; i += batch::size) {
      // nearbyint rounds to nearest even in the default mode, as ggml's nearest_int does.
      const i32 v = xsimd::batch_cast<int32_t>(xsimd::nearbyint(batch::load_unaligned(x + i) * batch(iscale)));
      xsimd::min(v, i32(127)).store_aligned(q + i);
    }
    for (size_t i = 0; i < QK_K; ++i) y[b].qs[i] = static_cast<int8_t>(q[i]);
    for (size_t j = 0; j < QK_K / 16; ++j) {
      int32_t sum = 0;
      if constexpr (i32::size <= 16) {
        i32 acc(0);
        for (size_t i = 0; i < 16; i += i32::size) acc += i32::load_aligned(q + 16 * j + i);
        sum = xsimd::hadd(acc);
      } else {
        for (size_t i = 0; i < 16; ++i) sum += q[16 * j + i];
      }
      y[b].bsums[j] = static_cast<int16_t>(sum);
    }
    y[b].d = 1 / iscale;
  }
}

}  // namespace moe::kern::simd
