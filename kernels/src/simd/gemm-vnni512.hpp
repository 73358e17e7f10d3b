#pragma once
// AVX-512 VNNI GEMM (prefill) for Q8_0, Q4_K, Q5_K and Q6_K weights: one i32 lane per weight row.
// Included only by the avx512 ISA file; everything is a member of a template on Arch (ODR).
//
// A panel is 16 weight rows x up to kChunkCols columns, repacked per call into a stack
// buffer so that one zmm holds bytes 4k..4k+3 of a block of all 16 rows (register
// transposes). A token's four activation bytes are then broadcast to every lane and one
// VPDPBUSD does 4 multiply-adds for each of the 16 rows; the register tile is 16 rows x
// kTokens tokens and every weight register serves kTokens tokens. No horizontal sums: lane r
// of a token's accumulator is y[token][row r], stored with one (masked) 16-float store.
//
// Signs: VPDPBUSD multiplies u8 by s8. K-quant quants are unsigned (Q6_K's + 32 comes back
// out through q8_K's bsums; Q5_K's fifth bit makes 0..31). Q8_0 weights are signed, so the activations are made unsigned
// (x + 128, per call into a small buffer) and 128 * sum(w) of each row and block is taken
// back out (computed once per panel block).
//
// Exactness: every integer sum is exact (as in the reference, in i32). Each lane then repeats
// the reference's f32 operations for its row, per block (Q8_0) or super-block (K-quants),
// in order and unfused: bit-identical to the reference and to the GEMV kernels, so a batched
// prefill equals token-by-token decode. Column chunks continue the running sums held in y.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/quant-blocks.hpp"

namespace moe::kern::simd {

template <class Arch>
struct VnniGemm {
  static constexpr size_t kLanes = 16;         // weight rows per panel, one per i32 lane
  static constexpr size_t kTokens = 8;         // tokens per register tile
  static constexpr size_t kChunkCols = 512;    // columns per panel: the panel stays in L1
  static constexpr size_t kQ8Panels = 4;       // Q8_0: panels sharing one activation buffer
  static constexpr size_t kMinTokens = 4;      // below this the row-tiled kernels are faster

  // ---- helpers --------------------------------------------------------------------------
  static __mmask16 row_mask(size_t n) { return n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u); }


  // Row r of a panel, clamped to the last real row: lanes past n_rows compute a copy of it
  // and are never stored.
  static const std::byte* panel_row(const std::byte* w0, size_t row_bytes, size_t n_rows, size_t r) {
    return w0 + (r < n_rows ? r : n_rows - 1) * row_bytes;
  }
  // Brings bytes [begin, end) of n_rows rows towards L2 while the current chunk computes:
  // the repack of the next chunk then finds its rows there instead of waiting on memory.
  static void prefetch_rows(const std::byte* w0, size_t row_bytes, size_t n_rows, size_t begin, size_t end) {
    for (size_t r = 0; r < n_rows; ++r)
      for (size_t off = begin; off < end; off += 64) __builtin_prefetch(w0 + r * row_bytes + off, 0, 2);
  }
  // While chunk c0 of rows [s0, s1) computes: the rows' next chunk, or after the last chunk
  // the first chunk of the next `group` rows (up to r1), towards L2.
  static void prefetch_next(const GemmArgs& g, size_t r1, size_t s0, size_t s1, size_t group, size_t c0,
                            size_t chunk_blocks, size_t nb_row, size_t block_bytes) {
    const auto* w = static_cast<const std::byte*>(g.w);
    size_t first = s0, n = s1 - s0, next = c0 + chunk_blocks;
    if (next >= nb_row) {
      if (s1 >= r1) return;
      first = s1, n = r1 - s1 < group ? r1 - s1 : group, next = 0;
    }
    const size_t end = next + chunk_blocks < nb_row ? next + chunk_blocks : nb_row;
    prefetch_rows(w + first * g.row_bytes, g.row_bytes, n, next * block_bytes, end * block_bytes);
  }
  static __m256i load256(const std::byte* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static __m128i load128(const std::byte* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  // out[k] lane r = dword k of the 32 bytes at row[r] + off (16 rows x 8 dwords): rows r and
  // r + 8 share a register, a 4 x 4 dword transpose inside each 128-bit chunk, then the
  // chunks of rows 0-3 / 4-7 (8-11 / 12-15) are interleaved.
  static void transpose16x8(const std::byte* const* row, size_t off, __m512i* out) {
    __m512i z[8], t[8];
    for (size_t m = 0; m < 8; ++m)
      z[m] = _mm512_inserti64x4(_mm512_castsi256_si512(load256(row[m] + off)), load256(row[m + 8] + off), 1);
    for (size_t i = 0; i < 8; i += 2) {
      t[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
    }
    for (size_t g = 0; g < 8; g += 4) {  // rows 0-3 (g = 0) and 4-7 (g = 4) of each half
      z[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);      // dwords 0, 4
      z[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);  // dwords 1, 5
      z[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
      z[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (size_t i = 0; i < 4; ++i) {
      out[i] = _mm512_permutex2var_epi64(z[i], lo, z[i + 4]);
      out[i + 4] = _mm512_permutex2var_epi64(z[i], hi, z[i + 4]);
    }
  }
  // out[k] lane r = dword k of the 16 bytes at row[r] + off (16 rows x 4 dwords): chunk q of
  // register m holds row m + 4q, so the 4 x 4 transpose leaves row r in lane r.
  static void transpose16x4(const std::byte* const* row, size_t off, __m512i* out) {
    __m512i z[4];
    for (size_t m = 0; m < 4; ++m) {
      __m512i v = _mm512_castsi128_si512(load128(row[m] + off));
      v = _mm512_inserti32x4(v, load128(row[m + 4] + off), 1);
      v = _mm512_inserti32x4(v, load128(row[m + 8] + off), 2);
      z[m] = _mm512_inserti32x4(v, load128(row[m + 12] + off), 3);
    }
    const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    out[0] = _mm512_unpacklo_epi64(t0, t2);
    out[1] = _mm512_unpackhi_epi64(t0, t2);
    out[2] = _mm512_unpacklo_epi64(t1, t3);
    out[3] = _mm512_unpackhi_epi64(t1, t3);
  }
  static __m512i bcast32(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  // Low 16 bits of each lane as f16 -> f32.
  static __m512 f16_lanes(__m512i v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)); }

  // Calls f(std::integral_constant<size_t, n>) for a runtime n in 1..kTokens.
  template <class F>
  static void with_tokens(size_t n, F&& f) {
    switch (n) {
      case 1: return f(std::integral_constant<size_t, 1>{});
      case 2: return f(std::integral_constant<size_t, 2>{});
      case 3: return f(std::integral_constant<size_t, 3>{});
      case 4: return f(std::integral_constant<size_t, 4>{});
      case 5: return f(std::integral_constant<size_t, 5>{});
      case 6: return f(std::integral_constant<size_t, 6>{});
      case 7: return f(std::integral_constant<size_t, 7>{});
      default: return f(std::integral_constant<size_t, 8>{});
    }
  }

  // ---- Q8_0 -----------------------------------------------------------------------------
  struct Q8Panel {  // one 32-value block of 16 rows
    __m512i w[8];   // bytes 4k..4k+3 of each row's quants (signed)
    __m512i corr;   // -128 * sum of each row's quants
    __m512 d;       // each row's scale
  };
  static void q8_pack(const std::byte* w0, size_t row_bytes, size_t n_rows, size_t b0, size_t nb, Q8Panel* out) {
    const std::byte* row[kLanes];
    for (size_t r = 0; r < kLanes; ++r) row[r] = panel_row(w0, row_bytes, n_rows, r);
    // The scales, row by row first (a 16-lane gather per block measured slower): all stores
    // are done before the wide loads below read them back.
    alignas(64) uint16_t dh[kChunkCols / QK8_0][kLanes];
    for (size_t r = 0; r < kLanes; ++r)
      for (size_t b = 0; b < nb; ++b) std::memcpy(&dh[b][r], row[r] + (b0 + b) * sizeof(block_q8_0), 2);
    const __m512i u128 = _mm512_set1_epi8(static_cast<char>(0x80));
    for (size_t b = 0; b < nb; ++b) {
      transpose16x8(row, (b0 + b) * sizeof(block_q8_0) + offsetof(block_q8_0, qs), out[b].w);
      __m512i sum = _mm512_setzero_si512();
      for (size_t k = 0; k < 8; ++k) sum = _mm512_dpbusd_epi32(sum, u128, out[b].w[k]);  // 128 * w, four per lane
      out[b].corr = _mm512_sub_epi32(_mm512_setzero_si512(), sum);
      out[b].d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh[b])));
    }
  }
  // Tokens' quants + 128 ([token][block][32]) and scales ([token][block]) of blocks b0..b0+nb.
  static void q8_act(const std::byte* x, size_t x_stride, size_t n_tok, size_t b0, size_t nb, uint8_t* xu, float* xd) {
    static_assert(kChunkCols / QK8_0 == kLanes, "one 16-lane f16 conversion per token and chunk");
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    const __mmask16 m = row_mask(nb);
    for (size_t t = 0; t < n_tok; ++t) {
      const auto* xb = reinterpret_cast<const block_q8_0*>(x + t * x_stride) + b0;
      alignas(32) uint16_t dh[kLanes] = {};
      for (size_t b = 0; b < nb; ++b) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[b].qs));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(xu + (t * nb + b) * 32), _mm256_xor_si256(q, flip));
        dh[b] = xb[b].d;
      }
      _mm512_mask_storeu_ps(xd + t * nb, m, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh))));
    }
  }
  // HOT SPOT: prefill of Q8_0 weights.
  template <size_t TT>
  static void q8_tile(const Q8Panel* pw, size_t nb, const uint8_t* xu, const float* xd, float* y, size_t y_stride,
                      __mmask16 m, bool accumulate) {
    // The running sums continue from the previous column chunk (held in y), so every row
    // adds its blocks in order, as the reference does.
    __m512 acc[TT];
    for (size_t t = 0; t < TT; ++t) acc[t] = accumulate ? _mm512_maskz_loadu_ps(m, y + t * y_stride) : _mm512_setzero_ps();
    for (size_t b = 0; b < nb; ++b) {
      const Q8Panel& p = pw[b];
      // k outside, tokens inside: TT independent accumulation chains, one weight register.
      __m512i s[TT];
      for (auto& v : s) v = p.corr;
#pragma GCC unroll 8
      for (size_t k = 0; k < 8; ++k) {
        const __m512i w = p.w[k];
        for (size_t t = 0; t < TT; ++t) s[t] = _mm512_dpbusd_epi32(s[t], bcast32(xu + (t * nb + b) * 32 + 4 * k), w);
      }
      for (size_t t = 0; t < TT; ++t) {
        // The reference's sumf += sum * (dw * dx): a multiply and an add, not fused.
        const __m512 scale = _mm512_mul_ps(p.d, _mm512_set1_ps(xd[t * nb + b]));
        acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(s[t]), scale));
      }
    }
    for (size_t t = 0; t < TT; ++t) _mm512_mask_storeu_ps(y + t * y_stride, m, acc[t]);
  }
  static void q8_gemm(const GemmArgs& g, size_t r0, size_t r1) {
    constexpr size_t kBlocks = kChunkCols / QK8_0;
    alignas(64) Q8Panel panel[kQ8Panels][kBlocks];   // 40 KiB
    alignas(64) uint8_t xu[kTokens * kBlocks * 32];  // 4 KiB
    alignas(64) float xd[kTokens * kBlocks];
    const auto* w = static_cast<const std::byte*>(g.w);
    const auto* x = static_cast<const std::byte*>(g.x);
    const size_t nb_row = g.n_cols / QK8_0;
    for (size_t s0 = r0; s0 < r1; s0 += kQ8Panels * kLanes) {
      const size_t s1 = r1 - s0 > kQ8Panels * kLanes ? s0 + kQ8Panels * kLanes : r1;
      const size_t n_panels = (s1 - s0 + kLanes - 1) / kLanes;
      for (size_t c0 = 0; c0 < nb_row; c0 += kBlocks) {
        const size_t nb = nb_row - c0 > kBlocks ? kBlocks : nb_row - c0;
        for (size_t p = 0; p < n_panels; ++p)
          q8_pack(w + (s0 + p * kLanes) * g.row_bytes, g.row_bytes, s1 - s0 - p * kLanes, c0, nb, panel[p]);
        prefetch_next(g, r1, s0, s1, kQ8Panels * kLanes, c0, kBlocks, nb_row, sizeof(block_q8_0));
        for (size_t t0 = 0; t0 < g.n_tokens; t0 += kTokens) {
          const size_t nt = g.n_tokens - t0 > kTokens ? kTokens : g.n_tokens - t0;
          q8_act(x + t0 * g.x_stride, g.x_stride, nt, c0, nb, xu, xd);
          for (size_t p = 0; p < n_panels; ++p) {
            float* y = g.y + t0 * g.y_stride + s0 + p * kLanes;
            const __mmask16 m = row_mask(s1 - s0 - p * kLanes);
            with_tokens(nt, [&](auto tt) { q8_tile<decltype(tt)::value>(panel[p], nb, xu, xd, y, g.y_stride, m, c0 > 0); });
          }
        }
      }
    }
  }

  // ---- Q4_K, Q5_K -----------------------------------------------------------------------
  // Both share the scale/min layout and the reference's arithmetic (dot_k4_like); Q5_K adds
  // a fifth bit per quant from qh, so only the repack differs.
  struct Q4KPanel {   // one 256-value super-block of 16 rows
    __m512i w[8][8];  // sub-block j, bytes 4k..4k+3: unsigned quants (0..15, Q5_K 0..31)
    __m512i sc[8];    // scale_j per row
    __m512i mins[8];  // min_j per row in both i16 halves of the lane
    __m512 d, dmin;   // per row
  };
  template <class Block>  // block_q4_K or block_q5_K
  static void k4_pack(const std::byte* w0, size_t row_bytes, size_t n_rows, size_t b0, size_t nb, Q4KPanel* out) {
    constexpr bool kQ5 = std::is_same_v<Block, block_q5_K>;
    const std::byte* row[kLanes];
    for (size_t r = 0; r < kLanes; ++r) row[r] = panel_row(w0, row_bytes, n_rows, r);
    const __m512i lo4 = _mm512_set1_epi8(0x0F), one = _mm512_set1_epi8(1);
    for (size_t b = 0; b < nb; ++b) {
      const size_t at = (b0 + b) * sizeof(Block);
      Q4KPanel& o = out[b];
      __m512i qh[8];  // Q5_K: byte l of qh holds the fifth bit of value l of sub-block j in bit j
      if constexpr (kQ5) transpose16x8(row, at + offsetof(block_q5_K, qh), qh);
      for (size_t p = 0; p < 4; ++p) {  // 32 bytes: sub-block 2p low nibbles, 2p + 1 high
        __m512i q[8];
        transpose16x8(row, at + offsetof(Block, qs) + 32 * p, q);
        for (size_t k = 0; k < 8; ++k) {
          o.w[2 * p][k] = _mm512_and_si512(q[k], lo4);
          o.w[2 * p + 1][k] = _mm512_and_si512(_mm512_srli_epi16(q[k], 4), lo4);
          if constexpr (kQ5) {
            // (qh >> j) & 1 in bit 0 of each byte, then to bit 4 (no bit crosses a byte).
            const auto fifth = [&](unsigned j) {
              return _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh[k], j), one), 4);
            };
            o.w[2 * p][k] = _mm512_or_si512(o.w[2 * p][k], fifth(unsigned(2 * p)));
            o.w[2 * p + 1][k] = _mm512_or_si512(o.w[2 * p + 1][k], fifth(unsigned(2 * p + 1)));
          }
        }
      }
      __m512i head[4];  // d | dmin << 16, then the 12 scale bytes
      static_assert(offsetof(Block, dmin) == 2 && offsetof(Block, scales) == 4);
      transpose16x4(row, at, head);
      const __m512i dd = head[0];
      o.d = f16_lanes(dd);
      o.dmin = f16_lanes(_mm512_srli_epi32(dd, 16));
      // The 6-bit scales and mins (quant-internal.hpp's layout), ggml's word operations per lane.
      const __m512i a = head[1], bw = head[2], c = head[3];
      const __m512i m1 = _mm512_set1_epi32(0x3f3f3f3f), m2 = _mm512_set1_epi32(0x0f0f0f0f),
                    m3 = _mm512_set1_epi32(0x03030303);
      const __m512i sc_lo = _mm512_and_si512(a, m1);
      const __m512i sc_hi = _mm512_or_si512(_mm512_and_si512(c, m2),
                                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a, 6), m3), 4));
      const __m512i mn_lo = _mm512_and_si512(bw, m1);
      const __m512i mn_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(c, 4), m2),
                                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(bw, 6), m3), 4));
      const __m512i byte = _mm512_set1_epi32(0xFF);
      for (unsigned j = 0; j < 4; ++j) {
        const __m512i s_lo = _mm512_and_si512(_mm512_srli_epi32(sc_lo, 8 * j), byte);
        const __m512i s_hi = _mm512_and_si512(_mm512_srli_epi32(sc_hi, 8 * j), byte);
        o.sc[j] = s_lo;
        o.sc[j + 4] = s_hi;
        const __m512i n_lo = _mm512_and_si512(_mm512_srli_epi32(mn_lo, 8 * j), byte);
        const __m512i n_hi = _mm512_and_si512(_mm512_srli_epi32(mn_hi, 8 * j), byte);
        o.mins[j] = _mm512_or_si512(n_lo, _mm512_slli_epi32(n_lo, 16));
        o.mins[j + 4] = _mm512_or_si512(n_hi, _mm512_slli_epi32(n_hi, 16));
      }
    }
  }
  // HOT SPOT: prefill of Q4_K and Q5_K weights. Per row and super-block the exact integer sums
  // isum (scales times sub-block dots) and summs (mins times activation sums), then the
  // reference's f32 expression, added in super-block order: bit-identical to its GEMV.
  template <size_t TT>
  static void q4k_tile(const Q4KPanel* pw, size_t nb, size_t b0, const std::byte* x, size_t x_stride, float* y,
                       size_t y_stride, __mmask16 m, bool accumulate) {
    const block_q8_K* xs[TT];
    for (size_t t = 0; t < TT; ++t) xs[t] = reinterpret_cast<const block_q8_K*>(x + t * x_stride) + b0;
    __m512 acc[TT];  // continues from the previous column chunk (in y)
    for (size_t t = 0; t < TT; ++t) acc[t] = accumulate ? _mm512_maskz_loadu_ps(m, y + t * y_stride) : _mm512_setzero_ps();
    for (size_t b = 0; b < nb; ++b) {
      const Q4KPanel& p = pw[b];
      __m512i isum[TT];
      for (auto& v : isum) v = _mm512_setzero_si512();
      for (size_t j = 0; j < 8; ++j) {
        // k outside, tokens inside: TT independent accumulation chains, one weight register.
        __m512i s[TT];
        for (auto& v : s) v = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (size_t k = 0; k < 8; ++k) {
          const __m512i w = p.w[j][k];
          for (size_t t = 0; t < TT; ++t) s[t] = _mm512_dpbusd_epi32(s[t], w, bcast32(xs[t][b].qs + 32 * j + 4 * k));
        }
        for (size_t t = 0; t < TT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s[t], p.sc[j]));
      }
      for (size_t t = 0; t < TT; ++t) {
        // sum_j min_j * (bsums[2j] + bsums[2j + 1]): the i16 pairs of one dword per sub-block.
        __m512i mn = _mm512_setzero_si512();
        for (size_t j = 0; j < 8; ++j) mn = _mm512_dpwssd_epi32(mn, p.mins[j], bcast32(xs[t][b].bsums + 2 * j));
        const __m512 xd = _mm512_set1_ps(xs[t][b].d);
        const __m512 td = _mm512_mul_ps(_mm512_mul_ps(p.d, xd), _mm512_cvtepi32_ps(isum[t]));
        const __m512 tm = _mm512_mul_ps(_mm512_mul_ps(p.dmin, xd), _mm512_cvtepi32_ps(mn));
        acc[t] = _mm512_add_ps(acc[t], _mm512_sub_ps(td, tm));
      }
    }
    for (size_t t = 0; t < TT; ++t) _mm512_mask_storeu_ps(y + t * y_stride, m, acc[t]);
  }
  // ---- Q6_K -----------------------------------------------------------------------------
  struct Q6KPanel {    // one 256-value super-block of 16 rows
    __m512i w[16][4];  // sub-block s (16 values), bytes 4k..4k+3: quants + 32 (0..63)
    __m512i sc[16];    // scale_s per row (signed)
    __m512i pairs[8];  // scales 2i, 2i + 1 per row as the two i16 halves of the lane
    __m512 d;          // per row
  };
  static void q6k_pack(const std::byte* w0, size_t row_bytes, size_t n_rows, size_t b0, size_t nb, Q6KPanel* out) {
    const std::byte* row[kLanes];
    for (size_t r = 0; r < kLanes; ++r) row[r] = panel_row(w0, row_bytes, n_rows, r);
    const __m512i lo4 = _mm512_set1_epi8(0x0F), lo2 = _mm512_set1_epi8(0x03), lo16 = _mm512_set1_epi32(0xFFFF);
    // (qh >> shift) & 3, moved to bits 4-5 of each byte.
    auto high = [&](__m512i qh, unsigned shift) {
      return _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh, shift), lo2), 4);
    };
    for (size_t b = 0; b < nb; ++b) {
      const size_t at = (b0 + b) * sizeof(block_q6_K);
      Q6KPanel& o = out[b];
      for (size_t h = 0; h < 2; ++h) {  // 128 values: 64 bytes of ql, 32 of qh (quant-dot-ref.cpp's order)
        __m512i qa[8], qb[8], qh[8];
        transpose16x8(row, at + offsetof(block_q6_K, ql) + 64 * h, qa);
        transpose16x8(row, at + offsetof(block_q6_K, ql) + 64 * h + 32, qb);
        transpose16x8(row, at + offsetof(block_q6_K, qh) + 32 * h, qh);
        for (size_t k = 0; k < 8; ++k) {
          const size_t sb = 8 * h + k / 4, dw = k % 4;  // value 128 h + 32 g + 4 k is in sub-block sb + 2 g
          o.w[sb][dw] = _mm512_or_si512(_mm512_and_si512(qa[k], lo4), high(qh[k], 0));
          o.w[sb + 2][dw] = _mm512_or_si512(_mm512_and_si512(qb[k], lo4), high(qh[k], 2));
          o.w[sb + 4][dw] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(qa[k], 4), lo4), high(qh[k], 4));
          o.w[sb + 6][dw] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(qb[k], 4), lo4), high(qh[k], 6));
        }
      }
      alignas(32) uint16_t dh[kLanes];
      for (size_t r = 0; r < kLanes; ++r) std::memcpy(&dh[r], row[r] + at + offsetof(block_q6_K, d), 2);
      o.d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh)));
      __m512i sc[4];  // signed scale bytes 4i .. 4i + 3 per lane
      transpose16x4(row, at + offsetof(block_q6_K, scales), sc);
      for (size_t i = 0; i < 4; ++i) {
        const __m512i b0v = _mm512_srai_epi32(_mm512_slli_epi32(sc[i], 24), 24);  // sign-extended byte 0
        const __m512i b1v = _mm512_srai_epi32(_mm512_slli_epi32(sc[i], 16), 24);
        const __m512i b2v = _mm512_srai_epi32(_mm512_slli_epi32(sc[i], 8), 24);
        const __m512i b3v = _mm512_srai_epi32(sc[i], 24);
        o.sc[4 * i] = b0v;
        o.sc[4 * i + 1] = b1v;
        o.sc[4 * i + 2] = b2v;
        o.sc[4 * i + 3] = b3v;
        o.pairs[2 * i] = _mm512_or_si512(_mm512_and_si512(b0v, lo16), _mm512_slli_epi32(b1v, 16));
        o.pairs[2 * i + 1] = _mm512_or_si512(_mm512_and_si512(b2v, lo16), _mm512_slli_epi32(b3v, 16));
      }
    }
  }
  // HOT SPOT: prefill of Q6_K weights. Exact integer isum per row and super-block, then the
  // reference's f32 steps in its order: bit-identical to its GEMV.
  template <size_t TT>
  static void q6k_tile(const Q6KPanel* pw, size_t nb, size_t b0, const std::byte* x, size_t x_stride, float* y,
                       size_t y_stride, __mmask16 m, bool accumulate) {
    const block_q8_K* xs[TT];
    for (size_t t = 0; t < TT; ++t) xs[t] = reinterpret_cast<const block_q8_K*>(x + t * x_stride) + b0;
    __m512 acc[TT];  // continues from the previous column chunk (in y)
    for (size_t t = 0; t < TT; ++t) acc[t] = accumulate ? _mm512_maskz_loadu_ps(m, y + t * y_stride) : _mm512_setzero_ps();
    for (size_t b = 0; b < nb; ++b) {
      const Q6KPanel& p = pw[b];
      __m512i isum[TT];
      for (auto& v : isum) v = _mm512_setzero_si512();
      for (size_t sb = 0; sb < 16; ++sb) {
        __m512i s[TT];
        for (auto& v : s) v = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (size_t k = 0; k < 4; ++k) {
          const __m512i w = p.w[sb][k];
          for (size_t t = 0; t < TT; ++t) s[t] = _mm512_dpbusd_epi32(s[t], w, bcast32(xs[t][b].qs + 16 * sb + 4 * k));
        }
        for (size_t t = 0; t < TT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s[t], p.sc[sb]));
      }
      for (size_t t = 0; t < TT; ++t) {
        // The stored quants are q + 32: take 32 * sum_s scale_s * bsums[s] back out (two
        // sub-blocks per VPDPWSSD).
        __m512i off = _mm512_setzero_si512();
        for (size_t i = 0; i < 8; ++i) off = _mm512_dpwssd_epi32(off, p.pairs[i], bcast32(xs[t][b].bsums + 2 * i));
        const __m512i is = _mm512_sub_epi32(isum[t], _mm512_slli_epi32(off, 5));
        const __m512 xd = _mm512_set1_ps(xs[t][b].d);
        acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_mul_ps(p.d, xd), _mm512_cvtepi32_ps(is)));
      }
    }
    for (size_t t = 0; t < TT; ++t) _mm512_mask_storeu_ps(y + t * y_stride, m, acc[t]);
  }
  // ---- K-quant driver --------------------------------------------------------------------
  // For each 16-row strip and kChunkCols-column chunk: repack the weights into Panel (pack),
  // prefetch the next chunk, then run the register tiles over the tokens (tile, called with
  // the token count as an integral constant).
  template <class Panel, class Block, class Pack, class Tile>
  static void kquant_gemm(const GemmArgs& g, size_t r0, size_t r1, Pack pack, Tile tile) {
    constexpr size_t kBlocks = kChunkCols / QK_K;
    alignas(64) Panel panel[kBlocks];  // 10-11 KiB
    const auto* w = static_cast<const std::byte*>(g.w);
    const auto* x = static_cast<const std::byte*>(g.x);
    const size_t nb_row = g.n_cols / QK_K;
    for (size_t s0 = r0; s0 < r1; s0 += kLanes) {
      const size_t n_rows = r1 - s0 > kLanes ? kLanes : r1 - s0;
      const __mmask16 m = row_mask(n_rows);
      for (size_t c0 = 0; c0 < nb_row; c0 += kBlocks) {
        const size_t nb = nb_row - c0 > kBlocks ? kBlocks : nb_row - c0;
        pack(w + s0 * g.row_bytes, g.row_bytes, n_rows, c0, nb, panel);
        prefetch_next(g, r1, s0, s0 + n_rows, kLanes, c0, kBlocks, nb_row, sizeof(Block));
        for (size_t t0 = 0; t0 < g.n_tokens; t0 += kTokens) {
          const size_t nt = g.n_tokens - t0 > kTokens ? kTokens : g.n_tokens - t0;
          float* y = g.y + t0 * g.y_stride + s0;
          with_tokens(nt, [&](auto tt) { tile(tt, panel, nb, c0, x + t0 * g.x_stride, g.x_stride, y, g.y_stride, m, c0 > 0); });
        }
      }
    }
  }
  template <class Block>  // block_q4_K or block_q5_K: one panel layout and tile
  static void k4_gemm(const GemmArgs& g, size_t r0, size_t r1) {
    kquant_gemm<Q4KPanel, Block>(
        g, r0, r1, [](const std::byte* w, size_t rb, size_t n, size_t c0, size_t nb, Q4KPanel* o) { k4_pack<Block>(w, rb, n, c0, nb, o); },
        [](auto tt, auto... a) { q4k_tile<decltype(tt)::value>(a...); });
  }
  static void q6k_gemm(const GemmArgs& g, size_t r0, size_t r1) {
    kquant_gemm<Q6KPanel, block_q6_K>(
        g, r0, r1, [](const std::byte* w, size_t rb, size_t n, size_t c0, size_t nb, Q6KPanel* o) { q6k_pack(w, rb, n, c0, nb, o); },
        [](auto tt, auto... a) { q6k_tile<decltype(tt)::value>(a...); });
  }

  // ---- entry ----------------------------------------------------------------------------
  static bool usable(const GemmArgs& g) { return g.n_tokens >= kMinTokens; }
  // False when this path does not cover the call (other types, few tokens).
  static bool run(const GemmArgs& g, size_t r0, size_t r1) {
    if (!usable(g)) return false;
    switch (g.type) {
      case GgmlType::Q8_0: q8_gemm(g, r0, r1); return true;
      case GgmlType::Q4_K: k4_gemm<block_q4_K>(g, r0, r1); return true;
      case GgmlType::Q5_K: k4_gemm<block_q5_K>(g, r0, r1); return true;
      case GgmlType::Q6_K: q6k_gemm(g, r0, r1); return true;
      default: return false;
    }
  }
};

}  // namespace moe::kern::simd
