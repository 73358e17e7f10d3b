#pragma once
// GEMV / GEMM for F32, F16 and BF16 weights, written once with xsimd. One register tile of
// RT rows x TT tokens: every weight batch loaded is used TT times and every activation batch
// RT times. GEMV is the TT = 1 case (memory bound: the tile only adds load parallelism).
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "moe/kernels/kernel-table.hpp"
#include "simd/convert.hpp"

namespace moe::kern::simd {

template <class Arch, GgmlType T>
struct FloatElem;

template <class Arch>
struct FloatElem<Arch, GgmlType::F32> {
  using type = float;
  static xsimd::batch<float, Arch> vec(const float* p) { return xsimd::batch<float, Arch>::load_unaligned(p); }
  static float one(const float* p) { return *p; }
};

template <class Arch>
struct FloatElem<Arch, GgmlType::F16> {
  using type = uint16_t;
  static xsimd::batch<float, Arch> vec(const uint16_t* p) { return Conv<Arch>::load_f16(p); }
  static float one(const uint16_t* p) { return fp16_impl::f16_to_f32<Arch>(*p); }
};

template <class Arch>
struct FloatElem<Arch, GgmlType::BF16> {
  using type = uint16_t;
  static xsimd::batch<float, Arch> vec(const uint16_t* p) { return Conv<Arch>::load_bf16(p); }
  static float one(const uint16_t* p) { return fp16_impl::bf16_to_f32<Arch>(*p); }
};

// Y[t][r] for RT rows starting at w_rows and TT tokens starting at x_rows.
template <class Arch, GgmlType T, size_t RT, size_t TT>
void float_tile(const std::byte* w_rows, size_t row_bytes, const std::byte* x_rows, size_t x_stride,
                size_t n, float* y, size_t y_stride) {
  using batch = xsimd::batch<float, Arch>;
  using E = FloatElem<Arch, T>;
  using V = typename E::type;
  constexpr size_t W = batch::size;
  const V* w[RT];
  const V* x[TT];
  // Rows and token rows are element arrays at byte offsets the caller derived from the
  // tensor layout (row_bytes, x_stride are multiples of the element size).
  for (size_t r = 0; r < RT; ++r) w[r] = reinterpret_cast<const V*>(w_rows + r * row_bytes);
  for (size_t t = 0; t < TT; ++t) x[t] = reinterpret_cast<const V*>(x_rows + t * x_stride);
  batch acc[RT][TT];
  for (size_t r = 0; r < RT; ++r)
    for (size_t t = 0; t < TT; ++t) acc[r][t] = batch(0.0f);
  size_t i = 0;
  for (; i + W <= n; i += W) {
    batch xv[TT];
    for (size_t t = 0; t < TT; ++t) xv[t] = E::vec(x[t] + i);
    for (size_t r = 0; r < RT; ++r) {
      const batch wv = E::vec(w[r] + i);
      for (size_t t = 0; t < TT; ++t) acc[r][t] = xsimd::fma(wv, xv[t], acc[r][t]);
    }
  }
  for (size_t r = 0; r < RT; ++r)
    for (size_t t = 0; t < TT; ++t) {
      float s = xsimd::hadd(acc[r][t]);
      for (size_t k = i; k < n; ++k) s += E::one(w[r] + k) * E::one(x[t] + k);
      y[t * y_stride + r] = s;
    }
}

// Rows in blocks of RT, tokens in blocks of TT; the ragged edges use 1-wide tiles. Rows go
// in chunks of about 256 KiB of weights that every token block passes over while they are in
// L2 (a prefill reads the weights from memory once).
template <class Arch, GgmlType T, size_t RT, size_t TT>
void float_matmul(const GemmArgs& a, size_t r0, size_t r1) {
  const auto* w = static_cast<const std::byte*>(a.w);
  const auto* x = static_cast<const std::byte*>(a.x);
  auto run = [&](auto tile, size_t r, size_t t) {
    tile(w + r * a.row_bytes, a.row_bytes, x + t * a.x_stride, a.x_stride, a.n_cols, a.y + t * a.y_stride + r,
         a.y_stride);
  };
  const size_t fit = (256 * 1024) / (a.row_bytes ? a.row_bytes : 1) / RT * RT;
  const size_t chunk = fit > RT ? fit : RT;
  for (size_t c0 = r0; c0 < r1; c0 += chunk) {
    const size_t c1 = r1 - c0 > chunk ? c0 + chunk : r1;
    size_t t = 0;
    for (; t + TT <= a.n_tokens; t += TT) {
      size_t r = c0;
      for (; r + RT <= c1; r += RT) run(float_tile<Arch, T, RT, TT>, r, t);
      for (; r < c1; ++r) run(float_tile<Arch, T, 1, TT>, r, t);
    }
    for (; t < a.n_tokens; ++t) {
      size_t r = c0;
      for (; r + RT <= c1; r += RT) run(float_tile<Arch, T, RT, 1>, r, t);
      for (; r < c1; ++r) run(float_tile<Arch, T, 1, 1>, r, t);
    }
  }
}

// 4 x 4 needs 16 accumulators + 8 loads: fits AVX-512's 32 registers; 16-register ISAs use 3 x 4.
template <class Arch>
inline constexpr size_t kFloatRowTile = xsimd::batch<float, Arch>::size >= 16 ? 4 : 3;

template <class Arch, GgmlType T>
void float_gemv(const GemvArgs& a, size_t r0, size_t r1) {
  const GemmArgs g{a.type, a.w, a.row_bytes, a.n_cols, a.x, 0, 1, a.y, 0};
  float_matmul<Arch, T, 4, 1>(g, r0, r1);
}

template <class Arch, GgmlType T>
void float_gemm(const GemmArgs& a, size_t r0, size_t r1) {
  float_matmul<Arch, T, kFloatRowTile<Arch>, 4>(a, r0, r1);
}

}  // namespace moe::kern::simd
