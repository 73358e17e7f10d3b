#pragma once
// Half / bfloat16 loads and stores as float batches. The primary template is portable (scalar
// conversions into a batch); per-ISA files specialise Conv<Arch> with F16C / AVX-512
// intrinsics where xsimd 8.1 has no conversion. Everything is a template on Arch (ODR).
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "moe/kernels/fp16.hpp"

namespace moe::kern::simd {

template <class Arch>
struct Conv {
  using batch = xsimd::batch<float, Arch>;
  static constexpr bool native_f16 = false;

  static batch load_f16(const uint16_t* p) {
    alignas(64) float tmp[batch::size];
    for (size_t i = 0; i < batch::size; ++i) tmp[i] = fp16_impl::f16_to_f32<Arch>(p[i]);
    return batch::load_aligned(tmp);
  }
  static void store_f16(uint16_t* p, batch v) {
    alignas(64) float tmp[batch::size];
    v.store_aligned(tmp);
    for (size_t i = 0; i < batch::size; ++i) p[i] = fp16_impl::f32_to_f16<Arch>(tmp[i]);
  }
  static batch load_bf16(const uint16_t* p) {
    alignas(64) uint32_t tmp[batch::size];
    for (size_t i = 0; i < batch::size; ++i) tmp[i] = static_cast<uint32_t>(p[i]) << 16;
    return xsimd::bitwise_cast<batch>(xsimd::batch<uint32_t, Arch>::load_aligned(tmp));
  }
  static void store_bf16(uint16_t* p, batch v) {
    alignas(64) float tmp[batch::size];
    v.store_aligned(tmp);
    for (size_t i = 0; i < batch::size; ++i) p[i] = fp16_impl::f32_to_bf16<Arch>(tmp[i]);
  }
};

// f32 -> bf16 rounding (nearest even, NaN kept quiet) on integer lanes; the narrowing to 16
// bits is the ISA-specific part. Bit-identical to fp16_impl::f32_to_bf16.
template <class Arch>
xsimd::batch<uint32_t, Arch> bf16_round_bits(xsimd::batch<float, Arch> v) {
  using u32 = xsimd::batch<uint32_t, Arch>;
  const u32 x = xsimd::bitwise_cast<u32>(v);
  const u32 rounded = (x + u32(0x7FFFu) + ((x >> 16) & u32(1u))) >> 16;
  const u32 nan = (x >> 16) | u32(64u);
  // Select in the float domain: xsimd 8.1's integer select does not compile on avx512bw.
  using f32 = xsimd::batch<float, Arch>;
  return xsimd::bitwise_cast<u32>(
      xsimd::select(xsimd::isnan(v), xsimd::bitwise_cast<f32>(nan), xsimd::bitwise_cast<f32>(rounded)));
}

template <class Arch>
void f16_to_f32_row(const uint16_t* x, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) Conv<Arch>::load_f16(x + i).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = fp16_impl::f16_to_f32<Arch>(x[i]);
}

template <class Arch>
void f32_to_f16_row(const float* x, uint16_t* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) Conv<Arch>::store_f16(y + i, batch::load_unaligned(x + i));
  for (; i < n; ++i) y[i] = fp16_impl::f32_to_f16<Arch>(x[i]);
}

template <class Arch>
void bf16_to_f32_row(const uint16_t* x, float* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) Conv<Arch>::load_bf16(x + i).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = fp16_impl::bf16_to_f32<Arch>(x[i]);
}

template <class Arch>
void f32_to_bf16_row(const float* x, uint16_t* y, size_t n) {
  using batch = xsimd::batch<float, Arch>;
  size_t i = 0;
  for (; i + batch::size <= n; i += batch::size) Conv<Arch>::store_bf16(y + i, batch::load_unaligned(x + i));
  for (; i < n; ++i) y[i] = fp16_impl::f32_to_bf16<Arch>(x[i]);
}

}  // namespace moe::kern::simd
