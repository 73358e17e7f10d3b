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
          wv[r] = Q::load_q4_16(w[r][b].qs);  // 0..15, offset 8 applied in dot_q4
        else
          wv[r] = Q::load(w[r][b].qs);
        dw[r] = Q::f16(w[r][b].d);
      }
      for (size_t t = 0; t < TT; ++t) {
        const typename Q::vi xv = Q::load(x[t][b].qs);
        const float dx = Q::f16(x[t][b].d);
        for (size_t r = 0; r < RT; ++r) {
          const typename Q::vi sums = kQ4 ? Q::dot_q4(Q::zero(), wv[r], xv) : Q::dot_ss(Q::zero(), wv[r], xv);
          acc[r][t] = Q::fmadd_i(dw[r] * dx, sums, acc[r][t]);
        }
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
      typename Q::K4Scales sc[RT];
      for (size_t r = 0; r < RT; ++r) sc[r] = Q::k4_prepare(w[r][b].scales);
      typename Q::Acc acc[RT][TT];
      for (auto& row : acc)
        for (auto& v : row) v = Q::acc_zero();
      for (int p = 0; p < 4; ++p) {  // 64 values: sub-blocks 2p and 2p + 1
        typename Q::G g[RT];
        typename Q::GS gs[RT];
        for (size_t r = 0; r < RT; ++r) {
          if constexpr (kHigh)
            g[r] = Q::q5k_unpack(w[r][b].qs + 32 * p, w[r][b].qh, p);
          else
            g[r] = Q::q4k_unpack(w[r][b].qs + 32 * p);
          gs[r] = Q::k4_group_scales(sc[r], p);
        }
        for (size_t t = 0; t < TT; ++t)
          for (size_t r = 0; r < RT; ++r) acc[r][t] = Q::dot_group(acc[r][t], g[r], x[t][b].qs + 64 * p, gs[r]);
      }
      for (size_t r = 0; r < RT; ++r) {
        const float d = Q::f16(w[r][b].d), dmin = Q::f16(w[r][b].dmin);
        for (size_t t = 0; t < TT; ++t) {
          const int32_t summs = Q::k4_summs(sc[r], x[t][b].bsums);
          const float xd = x[t][b].d;
          // The reference's expression, term for term (bit-identical result).
          sumf[r][t] += d * xd * static_cast<float>(Q::acc_hsum(acc[r][t])) - dmin * xd * static_cast<float>(summs);
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
      typename Q::Acc acc[RT][TT];
      for (auto& row : acc)
        for (auto& v : row) v = Q::acc_zero();
      for (int h = 0; h < 2; ++h) {  // 128 values: 64 bytes of ql, 32 of qh, 8 scales
        typename Q::Q6Table table[RT];
        for (size_t r = 0; r < RT; ++r) table[r] = Q::q6_table(w[r][b].scales, h);
        for (int half = 0; half < 2; ++half) {  // 64 values: sub-blocks 8h + 4 half + 0..3
          typename Q::G g[RT];
          typename Q::GS gs[RT];
          for (size_t r = 0; r < RT; ++r) {
            g[r] = Q::q6k_unpack(w[r][b].ql + 64 * h, w[r][b].qh + 32 * h, half);
            gs[r] = Q::q6_group_scales(table[r], half);
          }
          for (size_t t = 0; t < TT; ++t)
            for (size_t r = 0; r < RT; ++r)
              acc[r][t] = Q::dot_group(acc[r][t], g[r], x[t][b].qs + 128 * h + 64 * half, gs[r]);
        }
      }
      for (size_t r = 0; r < RT; ++r) {
        const float d = Q::f16(w[r][b].d);
        for (size_t t = 0; t < TT; ++t) {
          // The stored quants are q + 32: take 32 * sum(scale * block sum of y) back out.
          const int32_t isum = Q::acc_hsum(acc[r][t]) - 32 * Q::q6_offset(w[r][b].scales, x[t][b].bsums);
          sumf[r][t] += d * x[t][b].d * static_cast<float>(isum);
        }
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = sumf[r][t];
  }
};

// Rows in blocks of RT, tokens in blocks of TT; ragged edges use narrower tiles. Rows go in
// chunks of about kChunkBytes of weights, and every token passes over a chunk while it is
// still in L2, so a prefill reads the weights from memory once, not once per token block.
inline constexpr size_t kChunkBytes = 256 * 1024;

template <class K, size_t RT, size_t TT>
void quant_matmul(const GemmArgs& g, size_t r0, size_t r1) {
  const auto* w = static_cast<const std::byte*>(g.w);
  const auto* x = static_cast<const std::byte*>(g.x);
  auto args = [&](size_t r, size_t t) {
    return TileArgs{w + r * g.row_bytes, g.row_bytes, x + t * g.x_stride, g.x_stride, g.n_cols,
                    g.y + t * g.y_stride + r, g.y_stride};
  };
  const size_t fit = kChunkBytes / (g.row_bytes ? g.row_bytes : 1) / RT * RT;
  const size_t chunk = fit > RT ? fit : RT;
  for (size_t c0 = r0; c0 < r1; c0 += chunk) {
    const size_t c1 = r1 - c0 > chunk ? c0 + chunk : r1;
    size_t t = 0;
    for (; t + TT <= g.n_tokens; t += TT) {
      size_t r = c0;
      for (; r + RT <= c1; r += RT) K::template tile<RT, TT>(args(r, t));
      for (; r < c1; ++r) K::template tile<1, TT>(args(r, t));
    }
    for (; t < g.n_tokens; ++t) {
      size_t r = c0;
      for (; r + RT <= c1; r += RT) K::template tile<RT, 1>(args(r, t));
      for (; r < c1; ++r) K::template tile<1, 1>(args(r, t));
    }
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
