#pragma once
// RoPE written once with xsimd. The interleaved angle table (cos, sin pairs) is expanded once
// per call into the two layouts the modes need, then every head is a multiply-add pass.
#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "moe/kernels/kernel-table.hpp"

namespace moe::kern::simd {

// Swaps adjacent lanes (0<->1, 2<->3, ...) for the interleaved mode (a template: ODR).
template <class Arch>
struct PairSwap {
  static constexpr unsigned get(unsigned i, unsigned) { return i ^ 1u; }
};

template <class Arch>
void rope(const RopeArgs& a) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  constexpr size_t kMaxRot = 1024;
  const size_t half = a.n_rot / 2;
  // c / s: neox layout (cos_i, sin_i at i); interleaved layout: c = (cos_i, cos_i),
  // s = (-sin_i, +sin_i) so y = x * c + swap(x) * s.
  alignas(64) float c[kMaxRot], s[kMaxRot];
  if (a.n_rot > kMaxRot) {  // larger than any model's head; stay correct, not fast
    for (size_t h = 0; h < a.n_heads; ++h) {
      float* x = a.x + h * a.head_dim;
      for (size_t i = 0; i < half; ++i) {
        const size_t i0 = a.mode == RopeMode::normal ? 2 * i : i;
        const size_t i1 = a.mode == RopeMode::normal ? 2 * i + 1 : i + half;
        const float x0 = x[i0], x1 = x[i1], ci = a.cs[2 * i], si = a.cs[2 * i + 1];
        x[i0] = x0 * ci - x1 * si;
        x[i1] = x0 * si + x1 * ci;
      }
    }
    return;
  }
  if (a.mode == RopeMode::normal) {
    for (size_t i = 0; i < half; ++i) {
      c[2 * i] = c[2 * i + 1] = a.cs[2 * i];
      s[2 * i] = -a.cs[2 * i + 1];
      s[2 * i + 1] = a.cs[2 * i + 1];
    }
    const auto swap = xsimd::make_batch_constant<xsimd::batch<uint32_t, Arch>, PairSwap<Arch>>();
    for (size_t h = 0; h < a.n_heads; ++h) {
      float* x = a.x + h * a.head_dim;
      size_t i = 0;
      for (; i + W <= a.n_rot; i += W) {
        const batch v = batch::load_unaligned(x + i);
        xsimd::fma(v, batch::load_aligned(c + i), xsimd::swizzle(v, swap) * batch::load_aligned(s + i))
            .store_unaligned(x + i);
      }
      for (; i < a.n_rot; i += 2) {  // W is even, so the tail holds whole pairs
        const float x0 = x[i], x1 = x[i + 1];
        x[i] = x0 * c[i] + x1 * s[i];
        x[i + 1] = x0 * s[i + 1] + x1 * c[i];
      }
    }
    return;
  }
  for (size_t i = 0; i < half; ++i) {
    c[i] = a.cs[2 * i];
    s[i] = a.cs[2 * i + 1];
  }
  for (size_t h = 0; h < a.n_heads; ++h) {
    float* x0p = a.x + h * a.head_dim;
    float* x1p = x0p + half;
    size_t i = 0;
    for (; i + W <= half; i += W) {
      const batch x0 = batch::load_unaligned(x0p + i), x1 = batch::load_unaligned(x1p + i);
      const batch ci = batch::load_aligned(c + i), si = batch::load_aligned(s + i);
      xsimd::fms(x0, ci, x1 * si).store_unaligned(x0p + i);
      xsimd::fma(x0, si, x1 * ci).store_unaligned(x1p + i);
    }
    for (; i < half; ++i) {
      const float x0 = x0p[i], x1 = x1p[i];
      x0p[i] = x0 * c[i] - x1 * s[i];
      x1p[i] = x0 * s[i] + x1 * c[i];
    }
  }
}

}  // namespace moe::kern::simd
