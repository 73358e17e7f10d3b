#pragma once
// GEMV / GEMM for the quantized weight types with a fast path (Q8_0, Q4_0 against q8_0
// activations; Q4_K, Q5_K, Q6_K against q8_K), written once against QuantOps<Arch>, the
// per-ISA integer vocabulary (qops-x86.hpp). A register tile covers RT weight rows x TT
// tokens: each unpacked weight unit serves TT tokens, each activation unit RT rows.
//
// Exactness: block integer sums are exact. The K-quants then apply the reference's float
// expression per super-block in the same order, so a row's result is bit-identical to
// vec_dot_ref; Q8_0 / Q4_0 accumulate per-block float vectors (one rounding order apart).
#include <cstddef>
#include <cstdint>

#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/quant-blocks.hpp"

namespace moe::kern::simd {

// Specialised by ISA files that provide the integer vocabulary; others use the reference.
template <class Arch>
struct QuantOps {
  static constexpr bool available = false;
};

struct TileArgs {
  const std::byte* w;  // first weight row of the tile
  size_t row_bytes;
  const std::byte* x;  // first activation row of the tile
  size_t x_stride;
  size_t n;            // elements per row
  float* y;            // y[t * y_stride + r] for the tile's r, t
  size_t y_stride;
};

// Row r / token t of the tile as block arrays (row_bytes and x_stride are whole blocks).
template <class B, size_t N>
void tile_rows(const std::byte* base, size_t stride, const B* (&out)[N]) {
  for (size_t i = 0; i < N; ++i) out[i] = reinterpret_cast<const B*>(base + i * stride);
}

template <class Arch>
struct Q8_0Kernel {
  using Q = QuantOps<Arch>;
  template <size_t RT, size_t TT, bool kQ4 = false>
  static void tile(const TileArgs& a) {
    using WB = std::conditional_t<kQ4, block_q4_0, block_q8_0>;
    const WB* w[RT];
    const block_q8_0* x[TT];
    tile_rows(a.w, a.row_bytes, w);
    tile_rows(a.x, a.x_stride, x);
    typename Q::vf acc[RT][TT];
    for (auto& row : acc)
      for (auto& v : row) v = Q::fzero();
    for (size_t b = 0; b < a.n / QK8_0; ++b) {
      typename Q::vi wv[RT];
      float dw[RT];
      for (size_t r = 0; r < RT; ++r) {
        if constexpr (kQ4)
          wv[r] = Q::sub8(Q::load_q4_16(w[r][b].qs));  // values -8..7
        else
          wv[r] = Q::load(w[r][b].qs);
        dw[r] = Q::f16(w[r][b].d);
      }
      for (size_t t = 0; t < TT; ++t) {
        const typename Q::vi xv = Q::load(x[t][b].qs);
        const float dx = Q::f16(x[t][b].d);
        for (size_t r = 0; r < RT; ++r) acc[r][t] = Q::fmadd_i(dw[r] * dx, Q::dot_ss(Q::zero(), wv[r], xv), acc[r][t]);
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = Q::hsum(acc[r][t]);
  }
};

template <class Arch>
struct Q4_0Kernel {
  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    Q8_0Kernel<Arch>::template tile<RT, TT, true>(a);
  }
};

// The 6-bit scales and mins of a q4_K / q5_K super-block (layout in quant-internal.hpp).
template <class Arch>
void k4_scales(const uint8_t* q, int16_t* sc, int32_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = static_cast<int16_t>(q[j] & 63);
    m[j] = q[j + 4] & 63;
    sc[j + 4] = static_cast<int16_t>((q[j + 8] & 0xF) | ((q[j] >> 6) << 4));
    m[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
  }
}

// Q4_K and Q5_K (kHigh: the fifth bit from qh).
template <class Arch, bool kHigh>
struct Q45_KKernel {
  using Q = QuantOps<Arch>;
  using WB = std::conditional_t<kHigh, block_q5_K, block_q4_K>;
  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    const WB* w[RT];
    const block_q8_K* x[TT];
    tile_rows(a.w, a.row_bytes, w);
    tile_rows(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    for (size_t b = 0; b < a.n / QK_K; ++b) {
      int16_t sc[RT][8];
      int32_t mn[RT][8];
      for (size_t r = 0; r < RT; ++r) k4_scales<Arch>(w[r][b].scales, sc[r], mn[r]);
      typename Q::vi acc[RT][TT];
      for (auto& row : acc)
        for (auto& v : row) v = Q::zero();
      for (int p = 0; p < 4; ++p) {  // sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles)
        typename Q::vi lo[RT], hi[RT];
        for (size_t r = 0; r < RT; ++r) {
          const typename Q::vi raw = Q::load(w[r][b].qs + 32 * p);
          lo[r] = Q::nib_lo(raw);
          hi[r] = Q::nib_hi(raw);
          if constexpr (kHigh) {
            const typename Q::vi qh = Q::load(w[r][b].qh);
            lo[r] = Q::or_(lo[r], Q::bit_to_16(qh, 2 * p));
            hi[r] = Q::or_(hi[r], Q::bit_to_16(qh, 2 * p + 1));
          }
        }
        for (size_t t = 0; t < TT; ++t) {
          const typename Q::vi y0 = Q::load(x[t][b].qs + 64 * p);
          const typename Q::vi y1 = Q::load(x[t][b].qs + 64 * p + 32);
          for (size_t r = 0; r < RT; ++r) {
            acc[r][t] = Q::dot_scaled(acc[r][t], lo[r], y0, sc[r][2 * p], sc[r][2 * p]);
            acc[r][t] = Q::dot_scaled(acc[r][t], hi[r], y1, sc[r][2 * p + 1], sc[r][2 * p + 1]);
          }
        }
      }
      for (size_t r = 0; r < RT; ++r) {
        const float d = Q::f16(w[r][b].d), dmin = Q::f16(w[r][b].dmin);
        for (size_t t = 0; t < TT; ++t) {
          const int16_t* bs = x[t][b].bsums;
          int32_t summs = 0;
          for (int j = 0; j < 8; ++j) summs += mn[r][j] * (bs[2 * j] + bs[2 * j + 1]);
          const float xd = x[t][b].d;
          // The reference's expression, term for term (bit-identical result).
          sumf[r][t] += d * xd * static_cast<float>(Q::hsum_i(acc[r][t])) - dmin * xd * static_cast<float>(summs);
        }
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = sumf[r][t];
  }
};

template <class Arch>
struct Q6_KKernel {
  using Q = QuantOps<Arch>;
  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    const block_q6_K* w[RT];
    const block_q8_K* x[TT];
    tile_rows(a.w, a.row_bytes, w);
    tile_rows(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    for (size_t b = 0; b < a.n / QK_K; ++b) {
      typename Q::vi acc[RT][TT];
      for (auto& row : acc)
        for (auto& v : row) v = Q::zero();
      for (int h = 0; h < 2; ++h) {    // 128 values: 64 bytes of ql, 32 of qh
        for (int k = 0; k < 4; ++k) {  // 32 values: sub-blocks 8h + 2k, 8h + 2k + 1
          typename Q::vi u[RT];
          for (size_t r = 0; r < RT; ++r) {
            const typename Q::vi ql = Q::load(w[r][b].ql + 64 * h + 32 * (k & 1));
            const typename Q::vi qh = Q::load(w[r][b].qh + 32 * h);
            u[r] = Q::or_(k < 2 ? Q::nib_lo(ql) : Q::nib_hi(ql), Q::bits2_shl4(qh, 2 * k));  // 0..63
          }
          for (size_t t = 0; t < TT; ++t) {
            const typename Q::vi y = Q::load(x[t][b].qs + 128 * h + 32 * k);
            for (size_t r = 0; r < RT; ++r) {
              const int8_t* s = w[r][b].scales + 8 * h + 2 * k;
              acc[r][t] = Q::dot_scaled(acc[r][t], u[r], y, s[0], s[1]);
            }
          }
        }
      }
      for (size_t r = 0; r < RT; ++r) {
        const float d = Q::f16(w[r][b].d);
        for (size_t t = 0; t < TT; ++t) {
          // The stored quants are q + 32: take 32 * sum(scale * block sum of y) back out.
          int32_t off = 0;
          for (int s = 0; s < 16; ++s) off += w[r][b].scales[s] * x[t][b].bsums[s];
          const int32_t isum = Q::hsum_i(acc[r][t]) - 32 * off;
          sumf[r][t] += d * x[t][b].d * static_cast<float>(isum);
        }
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = sumf[r][t];
  }
};

// Rows in blocks of RT, tokens in blocks of TT; ragged edges use narrower tiles.
template <class K, size_t RT, size_t TT>
void quant_matmul(const GemmArgs& g, size_t r0, size_t r1) {
  const auto* w = static_cast<const std::byte*>(g.w);
  const auto* x = static_cast<const std::byte*>(g.x);
  auto args = [&](size_t r, size_t t) {
    return TileArgs{w + r * g.row_bytes, g.row_bytes, x + t * g.x_stride, g.x_stride, g.n_cols,
                    g.y + t * g.y_stride + r, g.y_stride};
  };
  size_t t = 0;
  for (; t + TT <= g.n_tokens; t += TT) {
    size_t r = r0;
    for (; r + RT <= r1; r += RT) K::template tile<RT, TT>(args(r, t));
    for (; r < r1; ++r) K::template tile<1, TT>(args(r, t));
  }
  for (; t < g.n_tokens; ++t) {
    size_t r = r0;
    for (; r + RT <= r1; r += RT) K::template tile<RT, 1>(args(r, t));
    for (; r < r1; ++r) K::template tile<1, 1>(args(r, t));
  }
}

template <class Arch>
bool quant_fast_path(GgmlType t) {
  if constexpr (!QuantOps<Arch>::available) {
    return false;
  } else {
    return t == GgmlType::Q8_0 || t == GgmlType::Q4_0 || t == GgmlType::Q4_K || t == GgmlType::Q5_K ||
           t == GgmlType::Q6_K;
  }
}

// Runs the fast path of g.type with an RT x TT tile; false when there is none.
template <class Arch, size_t RT, size_t TT>
bool quant_matmul_dispatch(const GemmArgs& g, size_t r0, size_t r1) {
  if constexpr (!QuantOps<Arch>::available) {
    return false;
  } else {
    switch (g.type) {
      case GgmlType::Q8_0: quant_matmul<Q8_0Kernel<Arch>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q4_0: quant_matmul<Q4_0Kernel<Arch>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q4_K: quant_matmul<Q45_KKernel<Arch, false>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q5_K: quant_matmul<Q45_KKernel<Arch, true>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q6_K: quant_matmul<Q6_KKernel<Arch>, RT, TT>(g, r0, r1); return true;
      default: return false;
    }
  }
}

}  // namespace moe::kern::simd
