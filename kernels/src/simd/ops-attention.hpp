#pragma once
// Causal attention with GQA over an F32 or F16 KV cache, written once with xsimd. Queries are
// taken in blocks of up to kQ tokens of one head so each K/V row loaded serves all of them;
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
  for (size_t h = h0; h < h1; ++h) {
    const size_t g = h / group;
    for (size_t t0 = 0; t0 < a.n_tokens; t0 += kQ) {
      const size_t nq = a.n_tokens - t0 < kQ ? a.n_tokens - t0 : kQ;
      const float* q[kQ];
      for (size_t j = 0; j < nq; ++j) {
        q[j] = a.q + (t0 + j) * q_stride + h * D;
        m[j] = -INFINITY;
        l[j] = 0.0f;
        for (size_t d = 0; d < D; ++d) acc[j][d] = 0.0f;
      }
      const size_t kv_end = a.pos0 + t0 + nq;  // keys the last query of the block sees
      for (size_t p0 = 0; p0 < kv_end; p0 += kK) {
        const size_t nk = kv_end - p0 < kK ? kv_end - p0 : kK;
        // Scores of the tile; keys past a query's own position stay -inf (exp -> 0).
        for (size_t j = 0; j < nq; ++j)
          for (size_t p = 0; p < kK; ++p) sc[j][p] = -INFINITY;
        for (size_t p = 0; p < nk; ++p) {
          const KV* k = kbase + (p0 + p) * a.k_pos_stride + g * a.k_head_stride;
          for (size_t j = 0; j < nq; ++j) {
            if (p0 + p > a.pos0 + t0 + j) continue;
            batch s(0.0f);
            for (size_t d = 0; d < DV; d += W) s = xsimd::fma(batch::load_unaligned(q[j] + d), L::vec(k + d), s);
            float st = xsimd::hadd(s);
            for (size_t d = DV; d < D; ++d) st += q[j][d] * L::one(k + d);
            sc[j][p] = st * a.scale;
          }
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
        float* out = a.out + (t0 + j) * q_stride + h * D;
        const float inv = 1.0f / l[j];
        for (size_t d = 0; d < D; ++d) out[d] = acc[j][d] * inv;
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
