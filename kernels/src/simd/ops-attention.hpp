#pragma once
// Causal attention with GQA over an F32 or F16 KV cache, written once with xsimd. Queries are
// taken in blocks of up to kQ (token, head) pairs of one KV group so each K/V row loaded
// serves all of them;
// keys come in tiles of kK with an online softmax (running max m, running sum l), so no
// score buffer grows with the context.
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "moe/kernels/kernel-table.hpp"
#include "moe/kernels/reference.hpp"
#include "simd/convert.hpp"
#include "simd/ops-basic.hpp"

namespace moe::kern::simd {

template <class Arch, class KV>
struct KvLoad;

template <class Arch>
struct KvLoad<Arch, float> {
  static xsimd::batch<float, Arch> vec(const float* p) { return xsimd::batch<float, Arch>::load_unaligned(p); }
  static float one(const float* p) { return *p; }
};

template <class Arch>
struct KvLoad<Arch, uint16_t> {
  static xsimd::batch<float, Arch> vec(const uint16_t* p) { return Conv<Arch>::load_f16(p); }
  static float one(const uint16_t* p) { return fp16_impl::f16_to_f32<Arch>(*p); }
};

// q[j] . k for NQ queries against one key row: the row is loaded (and converted) once and
// the NQ partial sums stay in registers.
template <class Arch, class KV, size_t NQ>
void key_scores(const float* const* q, const KV* k, size_t D, float* dst) {
  using batch = xsimd::batch<float, Arch>;
  using L = KvLoad<Arch, KV>;
  constexpr size_t W = batch::size;
  const size_t DV = D / W * W;
  batch s[NQ];
  for (size_t j = 0; j < NQ; ++j) s[j] = batch(0.0f);
  for (size_t d = 0; d < DV; d += W) {
    const batch kv = L::vec(k + d);
    for (size_t j = 0; j < NQ; ++j) s[j] = xsimd::fma(batch::load_unaligned(q[j] + d), kv, s[j]);
  }
  for (size_t j = 0; j < NQ; ++j) {
    float st = xsimd::hadd(s[j]);
    for (size_t d = DV; d < D; ++d) st += q[j][d] * L::one(k + d);
    dst[j] = st;
  }
}

template <class Arch, class KV>
void attention_typed(const AttentionArgs& a, size_t h0, size_t h1) {
  using batch = xsimd::batch<float, Arch>;
  using L = KvLoad<Arch, KV>;
  constexpr size_t W = batch::size;
  constexpr size_t kQ = 4, kK = 32, kMaxDim = 512;
  const size_t D = a.head_dim, DV = D / W * W;
  const size_t group = a.n_head / a.n_head_kv;
  const size_t q_stride = a.n_head * D;
  const KV* kbase = static_cast<const KV*>(a.k);
  const KV* vbase = static_cast<const KV*>(a.v);

  alignas(64) float acc[kQ][kMaxDim];
  alignas(64) float sc[kQ][kK];
  float m[kQ], l[kQ];
  const float* q[kQ];
  float* out[kQ];
  size_t lim[kQ];  // last key position item j may see
  // Work items are (token, head) pairs of one KV group, token-major; a block of up to kQ of
  // them shares every K/V row it loads (GQA: the group's heads read the same cache rows).
  for (size_t g = h0 / group; g * group < h1; ++g) {
    const size_t hb = h0 > g * group ? h0 : g * group;
    const size_t he = h1 < (g + 1) * group ? h1 : (g + 1) * group;
    const size_t nh = he - hb, n_items = nh * a.n_tokens;
    for (size_t i0 = 0; i0 < n_items; i0 += kQ) {
      const size_t nq = n_items - i0 < kQ ? n_items - i0 : kQ;
      for (size_t j = 0; j < nq; ++j) {
        const size_t t = (i0 + j) / nh, h = hb + (i0 + j) % nh;
        q[j] = a.q + t * q_stride + h * D;
        out[j] = a.out + t * q_stride + h * D;
        lim[j] = a.pos0 + t;
        m[j] = -INFINITY;
        l[j] = 0.0f;
        for (size_t d = 0; d < D; ++d) acc[j][d] = 0.0f;
      }
      const size_t kv_end = lim[nq - 1] + 1;  // items are token-major: the last sees most
      for (size_t p0 = 0; p0 < kv_end; p0 += kK) {
        const size_t nk = kv_end - p0 < kK ? kv_end - p0 : kK;
        // Scores of the tile; keys past a query's own position stay -inf (exp -> 0).
        for (size_t j = 0; j < nq; ++j)
          for (size_t p = 0; p < kK; ++p) sc[j][p] = -INFINITY;
        for (size_t p = 0; p < nk; ++p) {
          const KV* k = kbase + (p0 + p) * a.k_pos_stride + g * a.k_head_stride;
          float st[kQ];
          switch (nq) {
            case 1: key_scores<Arch, KV, 1>(q, k, D, st); break;
            case 2: key_scores<Arch, KV, 2>(q, k, D, st); break;
            case 3: key_scores<Arch, KV, 3>(q, k, D, st); break;
            default: key_scores<Arch, KV, kQ>(q, k, D, st); break;
          }
          for (size_t j = 0; j < nq; ++j) sc[j][p] = p0 + p > lim[j] ? -INFINITY : st[j] * a.scale;
        }
        for (size_t j = 0; j < nq; ++j) {
          batch mb(m[j]);
          for (size_t p = 0; p < kK; p += W) mb = xsimd::max(mb, batch::load_aligned(&sc[j][p]));
          const float mnew = hmax<Arch>(mb);
          const float corr = __builtin_expf(m[j] - mnew);  // m = -inf on the first tile: 0
          batch sum(0.0f);
          for (size_t p = 0; p < kK; p += W) {
            const batch e = xsimd::exp(batch::load_aligned(&sc[j][p]) - batch(mnew));
            sum += e;
            e.store_aligned(&sc[j][p]);
          }
          l[j] = l[j] * corr + xsimd::hadd(sum);
          m[j] = mnew;
          if (corr != 1.0f) {
            const batch vc(corr);
            for (size_t d = 0; d < DV; d += W) (batch::load_aligned(&acc[j][d]) * vc).store_aligned(&acc[j][d]);
            for (size_t d = DV; d < D; ++d) acc[j][d] *= corr;
          }
        }
        for (size_t p = 0; p < nk; ++p) {
          const KV* v = vbase + (p0 + p) * a.v_pos_stride + g * a.v_head_stride;
          size_t d = 0;
          for (; d < DV; d += W) {
            const batch vv = L::vec(v + d);
            for (size_t j = 0; j < nq; ++j)
              xsimd::fma(batch(sc[j][p]), vv, batch::load_aligned(&acc[j][d])).store_aligned(&acc[j][d]);
          }
          for (; d < D; ++d) {
            const float vd = L::one(v + d);
            for (size_t j = 0; j < nq; ++j) acc[j][d] += sc[j][p] * vd;
          }
        }
      }
      for (size_t j = 0; j < nq; ++j) {
        const float inv = 1.0f / l[j];
        for (size_t d = 0; d < D; ++d) out[j][d] = acc[j][d] * inv;
      }
    }
  }
}

template <class Arch>
void attention(const AttentionArgs& a, size_t h0, size_t h1) {
  if (a.head_dim > 512) return ref::attention(a, h0, h1);  // no model has such heads
  if (a.kv_type == GgmlType::F16) return attention_typed<Arch, uint16_t>(a, h0, h1);
  return attention_typed<Arch, float>(a, h0, h1);
}

}  // namespace moe::kern::simd
