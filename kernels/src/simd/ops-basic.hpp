#pragma once
// Basic vector ops written once with xsimd, templated on the architecture. Included only by
// the per-ISA table files; everything here is a template on Arch (no shared inline helpers:
// the linker could otherwise keep an AVX-512 copy and call it on an older CPU).
#include <cmath>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace moe::kern::simd {

template <class Arch>
float dot_f32(const float* a, const float* b, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  batch acc0(0.0f), acc1(0.0f);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    acc0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), acc0);
    acc1 = xsimd::fma(batch::load_unaligned(a + i + W), batch::load_unaligned(b + i + W), acc1);
  }
  for (; i + W <= n; i += W)
    acc0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), acc0);
  float sum = xsimd::hadd(acc0 + acc1);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

template <class Arch>
void rms_norm(const float* x, const float* w, float* y, size_t n, float eps) {
  using batch = xsimd::batch<float, Arch>;
  constexpr size_t W = batch::size;
  const float sum_sq = dot_f32<Arch>(x, x, n);
  const float scale = 1.0f / std::sqrt(sum_sq / static_cast<float>(n) + eps);
  const batch vs(scale);
  size_t i = 0;
  for (; i + W <= n; i += W)
    (batch::load_unaligned(x + i) * vs * batch::load_unaligned(w + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] * scale * w[i];
}

template <class Arch>
KernelTable make_table(const char* name) {
  KernelTable t{};
  t.isa_name = name;
  t.dot_f32 = &dot_f32<Arch>;
  t.rms_norm = &rms_norm<Arch>;
  return t;
}

}  // namespace moe::kern::simd
