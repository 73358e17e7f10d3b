#pragma once
// GEMV / GEMM for the quantized weight types with a fast path (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
// IQ4_NL against q8_0 activations; Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS against q8_K), written
// once against QuantOps<Arch>, the per-ISA integer vocabulary (qops-x86.hpp, qops-neon.hpp;
// parts an ISA lacks are detected below and leave those types to the reference). A register
// tile covers RT weight rows x TT tokens: each unpacked weight unit serves TT tokens, each
// activation unit RT rows.
//
// Exactness: block integer sums are exact. In GEMV (one token) the K-quants then apply the
// reference's float expression per super-block in the same order, so a row's result is
// bit-identical to vec_dot_ref; GEMM tiles fold each super-block into float lanes instead
// (no horizontal sum per super-block and pair), and the legacy types accumulate per-block
// float lanes: those are one rounding order away from the reference. Where the four-row
// horizontal sums exist (x86), Q8_0 and IQ4_XS repeat the reference exactly in every tile.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/quant-blocks.hpp"

namespace moe::kern::simd {

// Specialised by ISA files that provide the integer vocabulary; others use the reference.
template <class Arch>
struct QuantOps {
  static constexpr bool available = false;
};

// Software prefetch distance along each weight row, into L2. Several rows stream at once (RT
// per tile), which the hardware prefetcher alone did not keep fed: measured with bench-kernels
// on the Zen 5 machine, 1 KiB gave ~50-70% of streaming-read bandwidth, 32 KiB 75-100%.
// Prefetches past the end of a tensor are harmless (no fault, a wasted line).
inline constexpr size_t kPrefetchBytes = 32768;

template <class Arch, class B>
void prefetch_block(const B* p) {
  __builtin_prefetch(reinterpret_cast<const char*>(p) + kPrefetchBytes, 0, 2);
}

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
template <class Arch, class B, size_t N>
void tile_rows(const std::byte* base, size_t stride, const B* (&out)[N]) {
  for (size_t i = 0; i < N; ++i) out[i] = reinterpret_cast<const B*>(base + i * stride);
}

// Optional parts of the QuantOps vocabulary (an ISA without them keeps the paths it has):
// the q2_K / q3_K unpacking, and the four-row horizontal sums of the GEMV tails.
template <class Q>
inline constexpr bool kHasQ2Q3 = requires(const uint8_t* p, int8_t* s) {
  Q::q2k_unpack(p, 0);
  Q::q3k_unpack(p, p, 0, 0);
  Q::q3k_scales(p, s);
  Q::q2k_scales(p, s, s);
};
template <class Q>
inline constexpr bool kHasHsum4 = requires(typename Q::Acc a, const int16_t* b, int32_t* out) {
  Q::hsum4(a, a, a, a, out);
  Q::hsum4(Q::k4_summs_y(Q::k4_ysum(b), Q::k4_ysum(b)), Q::k4_ysum(b), Q::k4_ysum(b), Q::k4_ysum(b), out);
};

// The 32-value types against q8_0 activations. Per block and row: integer lanes of
// (unsigned or signed) weight quants times activation quants, scaled by dw * dx; the types
// with an offset or a minimum add mw * dx * (lane sums of the activations).
enum class Legacy { q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl };

template <Legacy L>
using legacy_block_t = std::conditional_t<
    L == Legacy::q8_0, block_q8_0,
    std::conditional_t<L == Legacy::q4_0, block_q4_0,
                       std::conditional_t<L == Legacy::q4_1, block_q4_1,
                                          std::conditional_t<L == Legacy::q5_0, block_q5_0,
                                                             std::conditional_t<L == Legacy::q5_1, block_q5_1,
                                                                                block_iq4_nl>>>>>;

template <class Arch, Legacy L>
struct LegacyKernel {
  using Q = QuantOps<Arch>;
  using WB = legacy_block_t<L>;
  static constexpr bool kMin = L == Legacy::q4_1 || L == Legacy::q5_0 || L == Legacy::q5_1;

  // q8_0 with the four-row sums available: the reference's arithmetic exactly (exact block
  // sum, then sumf += sum * (dw * dx)), so GEMV, this GEMM tile and the AVX-512 panel GEMM
  // agree bit for bit and a batched prefill matches token-by-token decode.
  template <size_t RT, size_t TT>
  static void tile_q8_exact(const TileArgs& a) {
    const block_q8_0* w[RT];
    const block_q8_0* x[TT];
    tile_rows<Arch>(a.w, a.row_bytes, w);
    tile_rows<Arch>(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    for (size_t b = 0; b < a.n / QK8_0; ++b) {
      typename Q::vi wv[RT];
      float dw[RT];
      for (size_t r = 0; r < RT; ++r) {
        if ((b * sizeof(block_q8_0)) % 64 < sizeof(block_q8_0)) prefetch_block<Arch>(w[r] + b);  // block starts a line
        wv[r] = Q::load(w[r][b].qs);
        dw[r] = Q::f16(w[r][b].d);
      }
      for (size_t t = 0; t < TT; ++t) {
        const typename Q::vi xv = Q::load(x[t][b].qs);
        const float dx = Q::f16(x[t][b].d);
        int32_t isum[RT];
        if constexpr (RT == 4) {
          Q::hsum4(Q::dot_ss(Q::zero(), wv[0], xv), Q::dot_ss(Q::zero(), wv[1], xv), Q::dot_ss(Q::zero(), wv[2], xv),
                   Q::dot_ss(Q::zero(), wv[3], xv), isum);
        } else {
          for (size_t r = 0; r < RT; ++r) isum[r] = Q::hsum_i(Q::dot_ss(Q::zero(), wv[r], xv));
        }
        for (size_t r = 0; r < RT; ++r) sumf[r][t] += static_cast<float>(isum[r]) * (dw[r] * dx);
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = sumf[r][t];
  }

  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    if constexpr (L == Legacy::q8_0 && kHasHsum4<Q>) {
      tile_q8_exact<RT, TT>(a);
      return;
    }
    const WB* w[RT];
    const block_q8_0* x[TT];
    tile_rows<Arch>(a.w, a.row_bytes, w);
    tile_rows<Arch>(a.x, a.x_stride, x);
    typename Q::vf acc[RT][TT];
    for (auto& row : acc)
      for (auto& v : row) v = Q::fzero();
    for (size_t b = 0; b < a.n / QK8_0; ++b) {
      typename Q::vi wv[RT];
      float dw[RT], mw[RT];
      for (size_t r = 0; r < RT; ++r) {
        const WB& blk = w[r][b];
        if ((b * sizeof(WB)) % 64 < sizeof(WB)) prefetch_block<Arch>(w[r] + b);  // block starts a line
        dw[r] = Q::f16(blk.d);
        mw[r] = 0.0f;
        if constexpr (L == Legacy::q8_0) {
          wv[r] = Q::load(blk.qs);  // signed
        } else if constexpr (L == Legacy::iq4_nl) {
          wv[r] = Q::iq4nl_values(Q::load_q4_16(blk.qs));  // signed, non-linear levels
        } else {
          wv[r] = Q::load_q4_16(blk.qs);  // unsigned 0..15
          if constexpr (L == Legacy::q5_0 || L == Legacy::q5_1) wv[r] = Q::or_(wv[r], Q::bits32_to_16(blk.qh));
          if constexpr (L == Legacy::q4_1 || L == Legacy::q5_1) mw[r] = Q::f16(blk.m);
          if constexpr (L == Legacy::q5_0) mw[r] = -16.0f * dw[r];  // q - 16 = q + (-16)
        }
      }
      for (size_t t = 0; t < TT; ++t) {
        const typename Q::vi xv = Q::load(x[t][b].qs);
        const float dx = Q::f16(x[t][b].d);
        typename Q::vi ysum{};
        if constexpr (kMin) ysum = Q::dot_us(Q::zero(), Q::ones8(), xv);  // lane sums of y
        for (size_t r = 0; r < RT; ++r) {
          typename Q::vi sums;
          if constexpr (L == Legacy::q8_0 || L == Legacy::iq4_nl)
            sums = Q::dot_ss(Q::zero(), wv[r], xv);
          else if constexpr (L == Legacy::q4_0)
            sums = Q::dot_q4(Q::zero(), wv[r], xv);
          else
            sums = Q::dot_us(Q::zero(), wv[r], xv);
          acc[r][t] = Q::fmadd_i(dw[r] * dx, sums, acc[r][t]);
          if constexpr (kMin) acc[r][t] = Q::fmadd_i(mw[r] * dx, ysum, acc[r][t]);
        }
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = Q::hsum(acc[r][t]);
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
    tile_rows<Arch>(a.w, a.row_bytes, w);
    tile_rows<Arch>(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    typename Q::FAcc fsum[RT][TT];
    for (auto& row : fsum)
      for (auto& v : row) v = Q::facc_zero();
    for (size_t b = 0; b < a.n / QK_K; ++b) {
      typename Q::K4Scales sc[RT];
      for (size_t r = 0; r < RT; ++r) {
        sc[r] = Q::k4_prepare(w[r][b].scales);
        for (size_t off = 0; off < sizeof(WB); off += 64) prefetch_block<Arch>(reinterpret_cast<const char*>(w[r] + b) + off);
      }
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
      if constexpr (TT > 1) {
        // GEMM: fold the super-block into float lanes, no horizontal sums (rounding order
        // differs from the reference; GEMV below keeps it bit-identical).
        for (size_t r = 0; r < RT; ++r) {
          const float d = Q::f16(w[r][b].d), dmin = Q::f16(w[r][b].dmin);
          for (size_t t = 0; t < TT; ++t) {
            const float xd = x[t][b].d;
            fsum[r][t] = Q::facc_add(fsum[r][t], acc[r][t], d * xd);
            fsum[r][t] = Q::facc_add(fsum[r][t], Q::widen(Q::k4_summs_lanes(sc[r].mins, x[t][b].bsums)), -(dmin * xd));
          }
        }
        continue;
      }
      if constexpr (TT == 1 && RT == 4 && kHasHsum4<Q>) {
        // GEMV: the four rows' horizontal sums together, then the reference's expression.
        int32_t isum[4], summs[4];
        Q::hsum4(acc[0][0], acc[1][0], acc[2][0], acc[3][0], isum);
        const auto ys = Q::k4_ysum(x[0][b].bsums);
        Q::hsum4(Q::k4_summs_y(sc[0].mins, ys), Q::k4_summs_y(sc[1].mins, ys), Q::k4_summs_y(sc[2].mins, ys),
                 Q::k4_summs_y(sc[3].mins, ys), summs);
        const float xd = x[0][b].d;
        for (size_t r = 0; r < RT; ++r) {
          const float d = Q::f16(w[r][b].d), dmin = Q::f16(w[r][b].dmin);
          sumf[r][0] += d * xd * static_cast<float>(isum[r]) - dmin * xd * static_cast<float>(summs[r]);
        }
        continue;
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
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = TT > 1 ? Q::facc_hsum(fsum[r][t]) : sumf[r][t];
  }
};

// The K-quants with sixteen 16-value sub-blocks, one signed scale each, and 128 values per
// chunk of 2-bit (or 4+2-bit) quants: Q6_K (quants stored + 32), Q3_K (2 bits + a high bit
// from hmask, read as q + 4; 6-bit scales) and Q2_K (2 bits; 4-bit scales and 4-bit mins).
// The stored quants are unsigned, q + kOffset; kOffset * sum(scale * block sum of y) comes
// back out through q8_K's bsums.
enum class K16 { q6, q3, q2 };

template <K16 K>
using k16_block_t = std::conditional_t<K == K16::q6, block_q6_K, std::conditional_t<K == K16::q3, block_q3_K, block_q2_K>>;

template <class Arch, K16 K>
struct K16Kernel {
  using Q = QuantOps<Arch>;
  using WB = k16_block_t<K>;
  static constexpr int kOffset = K == K16::q6 ? 32 : K == K16::q3 ? 4 : 0;
  // GEMV: four rows' sums and offsets at once (hsum4), where the ISA's vocabulary has it.
  // Not for Q6_K: it is memory-bound, and its out-of-cache GEMV measured slower this way
  // (ratio 1.05 -> 0.91 on one thread, though faster in cache).
  static constexpr bool kHasOffset4 = K != K16::q6 && kHasHsum4<Q> && requires(const int8_t* s, const int16_t* b, int32_t* o) {
    Q::hsum4(Q::q6_offset_lanes(s, b), Q::q6_offset_lanes(s, b), Q::q6_offset_lanes(s, b), Q::q6_offset_lanes(s, b), o);
  };

  // The 16 scales as int8 (q6_K's are stored so; the others are decoded into buf), and for
  // q2_K the 16 mins into mins.
  static const int8_t* scales(const WB& w, int8_t* buf, int8_t* mins) {
    if constexpr (K == K16::q6) {
      (void)buf, (void)mins;
      return w.scales;
    } else if constexpr (K == K16::q3) {
      (void)mins;
      Q::q3k_scales(w.scales, buf);
      return buf;
    } else {
      Q::q2k_scales(w.scales, buf, mins);
      return buf;
    }
  }
  // Values 128 h + 64 half .. + 63 as unsigned quants.
  static typename Q::G unpack(const WB& w, int h, int half) {
    if constexpr (K == K16::q6)
      return Q::q6k_unpack(w.ql + 64 * h, w.qh + 32 * h, half);
    else if constexpr (K == K16::q3)
      return Q::q3k_unpack(w.qs + 32 * h, w.hmask, h, half);
    else
      return Q::q2k_unpack(w.qs + 32 * h, half);
  }

  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    const WB* w[RT];
    const block_q8_K* x[TT];
    tile_rows<Arch>(a.w, a.row_bytes, w);
    tile_rows<Arch>(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    typename Q::FAcc fsum[RT][TT];
    for (auto& row : fsum)
      for (auto& v : row) v = Q::facc_zero();
    alignas(16) int8_t buf[RT][16], mins[RT][16];
    const int8_t* mins_of[RT];
    for (size_t r = 0; r < RT; ++r) mins_of[r] = mins[r];
    for (size_t b = 0; b < a.n / QK_K; ++b) {
      const int8_t* sc[RT];
      for (size_t r = 0; r < RT; ++r) {
        for (size_t off = 0; off < sizeof(WB); off += 64) prefetch_block<Arch>(reinterpret_cast<const char*>(w[r] + b) + off);
        sc[r] = scales(w[r][b], buf[r], mins[r]);
      }
      typename Q::Acc acc[RT][TT];
      for (auto& row : acc)
        for (auto& v : row) v = Q::acc_zero();
      for (int h = 0; h < 2; ++h) {  // 128 values, 8 scales
        typename Q::Q6Table table[RT];
        for (size_t r = 0; r < RT; ++r) table[r] = Q::q6_table(sc[r], h);
        for (int half = 0; half < 2; ++half) {  // 64 values: sub-blocks 8h + 4 half + 0..3
          typename Q::G g[RT];
          typename Q::GS gs[RT];
          for (size_t r = 0; r < RT; ++r) {
            g[r] = unpack(w[r][b], h, half);
            gs[r] = Q::q6_group_scales(table[r], half);
          }
          for (size_t t = 0; t < TT; ++t)
            for (size_t r = 0; r < RT; ++r)
              acc[r][t] = Q::dot_group(acc[r][t], g[r], x[t][b].qs + 128 * h + 64 * half, gs[r]);
        }
      }
      if constexpr (TT == 1 && RT == 4 && kHasOffset4) {
        // GEMV: the four rows' exact integer sums (dot products, then offsets or mins) come
        // out of two four-way horizontal sums; the f32 steps below are the reference's.
        const int16_t* bs = x[0][b].bsums;
        const int8_t* const* os = K == K16::q2 ? mins_of : sc;
        int32_t isum[4], off[4] = {};
        Q::hsum4(acc[0][0], acc[1][0], acc[2][0], acc[3][0], isum);
        if constexpr (kOffset != 0 || K == K16::q2)
          Q::hsum4(Q::q6_offset_lanes(os[0], bs), Q::q6_offset_lanes(os[1], bs), Q::q6_offset_lanes(os[2], bs),
                   Q::q6_offset_lanes(os[3], bs), off);
        const float xd = x[0][b].d;
        for (size_t r = 0; r < RT; ++r) {
          const float d = Q::f16(w[r][b].d);
          if constexpr (K == K16::q2) {
            const float dall = xd * d, dmin = xd * Q::f16(w[r][b].dmin);
            sumf[r][0] += dall * static_cast<float>(isum[r]) - dmin * static_cast<float>(off[r]);
          } else {
            sumf[r][0] += d * xd * static_cast<float>(isum[r] - kOffset * off[r]);
          }
        }
        continue;
      }
      for (size_t r = 0; r < RT; ++r) {
        const float d = Q::f16(w[r][b].d);
        for (size_t t = 0; t < TT; ++t) {
          const float xd = x[t][b].d;
          if constexpr (TT > 1) {  // GEMM: float lanes, as for q4_K
            const float dd = d * xd;
            fsum[r][t] = Q::facc_add(fsum[r][t], acc[r][t], dd);
            if constexpr (kOffset != 0)
              fsum[r][t] = Q::facc_add(fsum[r][t], Q::widen(Q::q6_offset_lanes(sc[r], x[t][b].bsums)), -float(kOffset) * dd);
            if constexpr (K == K16::q2)
              fsum[r][t] = Q::facc_add(fsum[r][t], Q::widen(Q::q6_offset_lanes(mins[r], x[t][b].bsums)),
                                       -(Q::f16(w[r][b].dmin) * xd));
            continue;
          }
          // The reference's expressions, term for term (bit-identical results).
          if constexpr (K == K16::q2) {
            const int32_t summs = Q::q6_offset(mins[r], x[t][b].bsums);
            const float dall = xd * d, dmin = xd * Q::f16(w[r][b].dmin);
            sumf[r][t] += dall * static_cast<float>(Q::acc_hsum(acc[r][t])) - dmin * static_cast<float>(summs);
          } else {
            const int32_t isum = Q::acc_hsum(acc[r][t]) - kOffset * Q::q6_offset(sc[r], x[t][b].bsums);
            sumf[r][t] += d * xd * static_cast<float>(isum);
          }
        }
      }
    }
    for (size_t r = 0; r < RT; ++r)
      for (size_t t = 0; t < TT; ++t) a.y[t * a.y_stride + r] = TT > 1 ? Q::facc_hsum(fsum[r][t]) : sumf[r][t];
  }
};

// IQ4_XS against q8_K: 256-value super-blocks of eight 32-value sub-blocks, each with a 6-bit
// scale (ls - 32) and iq4_nl's non-linear levels (one 32-byte unit per sub-block). The
// reference adds every sub-block in f32 (sumf += d * dx * (ls - 32) * sum), so the exact
// integer sums of four rows come out together (hsum4) and the f32 steps are the reference's,
// in its order: bit-identical in GEMV and GEMM.
template <class Arch>
struct IQ4_XSKernel {
  using Q = QuantOps<Arch>;
  static int scale(const block_iq4_xs& w, size_t ib) {
    return ((w.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((w.scales_h >> (2 * ib)) & 3) << 4);
  }
  template <size_t RT, size_t TT>
  static void tile(const TileArgs& a) {
    const block_iq4_xs* w[RT];
    const block_q8_K* x[TT];
    tile_rows<Arch>(a.w, a.row_bytes, w);
    tile_rows<Arch>(a.x, a.x_stride, x);
    float sumf[RT][TT] = {};
    for (size_t b = 0; b < a.n / QK_K; ++b) {
      float d4d8[RT][TT];
      for (size_t r = 0; r < RT; ++r) {
        for (size_t off = 0; off < sizeof(block_iq4_xs); off += 64)
          prefetch_block<Arch>(reinterpret_cast<const char*>(w[r] + b) + off);
        const float d = Q::f16(w[r][b].d);
        for (size_t t = 0; t < TT; ++t) d4d8[r][t] = d * x[t][b].d;
      }
      for (size_t ib = 0; ib < QK_K / 32; ++ib) {
        typename Q::vi wv[RT];
        float ls[RT];
        for (size_t r = 0; r < RT; ++r) {
          wv[r] = Q::iq4nl_values(Q::load_q4_16(w[r][b].qs + 16 * ib));  // signed levels, value order
          ls[r] = static_cast<float>(scale(w[r][b], ib) - 32);
        }
        for (size_t t = 0; t < TT; ++t) {
          const typename Q::vi xv = Q::load(x[t][b].qs + 32 * ib);
          int32_t isum[RT];
          if constexpr (RT == 4) {
            Q::hsum4(Q::dot_ss(Q::zero(), wv[0], xv), Q::dot_ss(Q::zero(), wv[1], xv), Q::dot_ss(Q::zero(), wv[2], xv),
                     Q::dot_ss(Q::zero(), wv[3], xv), isum);
          } else {
            for (size_t r = 0; r < RT; ++r) isum[r] = Q::hsum_i(Q::dot_ss(Q::zero(), wv[r], xv));
          }
          for (size_t r = 0; r < RT; ++r) sumf[r][t] += d4d8[r][t] * ls[r] * static_cast<float>(isum[r]);
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
    switch (t) {
      case GgmlType::Q8_0: case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0:
      case GgmlType::Q5_1: case GgmlType::IQ4_NL: case GgmlType::Q4_K: case GgmlType::Q5_K:
      case GgmlType::Q6_K:
        return true;
      case GgmlType::Q3_K: case GgmlType::Q2_K:
        return kHasQ2Q3<QuantOps<Arch>>;
      case GgmlType::IQ4_XS:
        return kHasHsum4<QuantOps<Arch>>;
      default:
        return false;
    }
  }
}

// Runs the fast path of g.type with an RT x TT tile; false when there is none.
template <class Arch, size_t RT, size_t TT>
bool quant_matmul_dispatch(const GemmArgs& g, size_t r0, size_t r1) {
  if constexpr (!QuantOps<Arch>::available) {
    return false;
  } else {
    switch (g.type) {
      case GgmlType::Q8_0: quant_matmul<LegacyKernel<Arch, Legacy::q8_0>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q4_0: quant_matmul<LegacyKernel<Arch, Legacy::q4_0>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q4_1: quant_matmul<LegacyKernel<Arch, Legacy::q4_1>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q5_0: quant_matmul<LegacyKernel<Arch, Legacy::q5_0>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q5_1: quant_matmul<LegacyKernel<Arch, Legacy::q5_1>, RT, TT>(g, r0, r1); return true;
      case GgmlType::IQ4_NL: quant_matmul<LegacyKernel<Arch, Legacy::iq4_nl>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q4_K: quant_matmul<Q45_KKernel<Arch, false>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q5_K: quant_matmul<Q45_KKernel<Arch, true>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q6_K: quant_matmul<K16Kernel<Arch, K16::q6>, RT, TT>(g, r0, r1); return true;
      case GgmlType::Q3_K:
      case GgmlType::Q2_K:
        if constexpr (kHasQ2Q3<QuantOps<Arch>>) {
          if (g.type == GgmlType::Q3_K)
            quant_matmul<K16Kernel<Arch, K16::q3>, RT, TT>(g, r0, r1);
          else
            quant_matmul<K16Kernel<Arch, K16::q2>, RT, TT>(g, r0, r1);
          return true;
        }
        return false;
      case GgmlType::IQ4_XS:
        if constexpr (kHasHsum4<QuantOps<Arch>>) {
          quant_matmul<IQ4_XSKernel<Arch>, RT, TT>(g, r0, r1);
          return true;
        }
        return false;
      default: return false;
    }
  }
}

}  // namespace moe::kern::simd
