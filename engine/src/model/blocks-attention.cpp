// Attention block and the norm/rope helpers shared by all architectures.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cmath>

#include "model/blocks.hpp"
#include "model/matmul.hpp"
#include "moe/kernels/dispatch.hpp"
#include "session/kv-cache.hpp"

namespace moe {

void rms_norm_rows(const float* x, const float* w, float* y, int n_rows, int n, float eps) {
  const auto& k = kern::kernels();
  for (int r = 0; r < n_rows; ++r)
    k.rms_norm(x + static_cast<size_t>(r) * static_cast<size_t>(n), w, y + static_cast<size_t>(r) * static_cast<size_t>(n),
               static_cast<size_t>(n), eps);
}

void rope_tables(const HParams& hp, ForwardState& st, int n_tok) {
  // Same recurrence as ggml's rope cache (theta *= theta_scale per pair, in float), so the
  // angles match llama.cpp to the last bit rather than to powf's rounding.
  const float theta_scale = std::pow(hp.rope_freq_base, -2.0f / static_cast<float>(hp.n_rot));
  const int half = hp.n_rot / 2;
  for (int t = 0; t < n_tok; ++t) {
    float theta = static_cast<float>(st.pos[static_cast<size_t>(t)]);
    float* cs = st.rope.data() + static_cast<size_t>(t) * static_cast<size_t>(hp.n_rot);
    for (int i = 0; i < half; ++i) {
      const float th = hp.rope_freq_scale * theta;
      cs[2 * i] = std::cos(th);
      cs[2 * i + 1] = std::sin(th);
      theta *= theta_scale;
    }
  }
}

namespace {

void apply_rope(float* v, const float* cs, int n_rot, RopeStyle style) {
  const int half = n_rot / 2;
  for (int i = 0; i < half; ++i) {
    const float c = cs[2 * i], s = cs[2 * i + 1];
    // normal: adjacent pairs; neox: element i pairs with i + n_rot/2.
    const int a = style == RopeStyle::normal ? 2 * i : i;
    const int b = style == RopeStyle::normal ? 2 * i + 1 : i + half;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}


// Any KV type and head sizes: one task per (token, head); scores live in the worker's row of
// st.att, indexed by the arena slot, so no task allocates.
void attention_generic(BlockCtx& c, float scale) {
  const HParams& hp = c.hp;
  ForwardState& st = c.st;
  const int n = c.n_tok, qd = hp.q_dim(), od = hp.attn_out_dim(), hd = hp.head_dim_k, hdv = hp.head_dim_v;
  const int group = hp.n_head / hp.n_head_kv;
  const auto& kern_table = kern::kernels();
  const size_t tmp_stride = 2 * static_cast<size_t>(std::max(hd, hdv));
  tbb::parallel_for(tbb::blocked_range<int>(0, n * hp.n_head), [&](const tbb::blocked_range<int>& r) {
    const int slot = tbb::this_task_arena::current_thread_index();
    float* att = st.att.data() + static_cast<size_t>(slot) * static_cast<size_t>(st.n_ctx);
    float* tmp = st.kv_tmp.data() + static_cast<size_t>(slot) * tmp_stride;
    for (int th = r.begin(); th < r.end(); ++th) {
      const int t = th / hp.n_head, h = th % hp.n_head, kvh = h / group;
      const int n_pos = st.pos[static_cast<size_t>(t)] + 1;
      const float* q = st.q.data() + static_cast<size_t>(t) * static_cast<size_t>(qd) + static_cast<size_t>(h * hd);
      float mx = -INFINITY;
      for (int ps = 0; ps < n_pos; ++ps) {
        att[ps] = kern_table.dot_f32(q, c.kv.k_head(c.layer, ps, kvh, tmp), static_cast<size_t>(hd)) * scale;
        mx = std::fmax(mx, att[ps]);
      }
      double sum = 0.0;
      for (int ps = 0; ps < n_pos; ++ps) {
        att[ps] = std::exp(att[ps] - mx);
        sum += att[ps];
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* out = st.attn.data() + static_cast<size_t>(t) * static_cast<size_t>(od) + static_cast<size_t>(h * hdv);
      for (int i = 0; i < hdv; ++i) out[i] = 0.0f;
      for (int ps = 0; ps < n_pos; ++ps) {
        const float wgt = att[ps] * inv;
        const float* vrow = c.kv.v_head(c.layer, ps, kvh, tmp + hd);
        for (int i = 0; i < hdv; ++i) out[i] += wgt * vrow[i];
      }
    }
  });
}

}  // namespace

void attention_block(BlockCtx& c, const AttentionParams& p) {
  const HParams& hp = c.hp;
  const LayerWeights& lw = c.lw;
  ForwardState& st = c.st;
  const int n = c.n_tok, E = hp.n_embd;
  const int qd = hp.q_dim(), kd = hp.k_dim(), vd = hp.v_dim(), od = hp.attn_out_dim();
  const int hd = hp.head_dim_k, hdv = hp.head_dim_v;

  rms_norm_rows(st.x.data(), lw.attn_norm, st.xn.data(), n, E, hp.rms_eps);
  const MatmulArgs qkv[3] = {
      {&lw.wq, st.xn.data(), E, st.q.data(), qd, n, lw.bq, st.xq_slice(0, n)},
      {&lw.wk, st.xn.data(), E, st.k.data(), kd, n, lw.bk, st.xq_slice(1, n)},
      {&lw.wv, st.xn.data(), E, st.v.data(), vd, n, lw.bv, st.xq_slice(2, n)},
  };
  matmul_multi(qkv);

  for (int t = 0; t < n; ++t) {
    float* q = st.q.data() + static_cast<size_t>(t) * static_cast<size_t>(qd);
    float* k = st.k.data() + static_cast<size_t>(t) * static_cast<size_t>(kd);
    if (p.qk_norm == QkNorm::per_head) {
      rms_norm_rows(q, lw.q_norm, q, hp.n_head, hd, hp.rms_eps);
      rms_norm_rows(k, lw.k_norm, k, hp.n_head_kv, hd, hp.rms_eps);
    } else if (p.qk_norm == QkNorm::full_width) {
      rms_norm_rows(q, lw.q_norm, q, 1, qd, hp.rms_eps);
      rms_norm_rows(k, lw.k_norm, k, 1, kd, hp.rms_eps);
    }
    const float* cs = st.rope.data() + static_cast<size_t>(t) * static_cast<size_t>(hp.n_rot);
    for (int h = 0; h < hp.n_head; ++h) apply_rope(q + h * hd, cs, hp.n_rot, p.rope);
    for (int h = 0; h < hp.n_head_kv; ++h) apply_rope(k + h * hd, cs, hp.n_rot, p.rope);
    c.kv.store(c.layer, st.pos[static_cast<size_t>(t)], k, st.v.data() + static_cast<size_t>(t) * static_cast<size_t>(vd));
  }

  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  if (c.kv.type() != KvType::Q8_0 && hd == hdv) {
    // HOT SPOT (prefill, long contexts): the SIMD kernel reads F32/F16 K/V in place with an
    // online softmax; heads are independent, so the split does not change any result.
    const auto& kt = kern::kernels();
    const kern::AttentionArgs aa{
        st.q.data(), c.kv.k_layer(c.layer), c.kv.v_layer(c.layer),
        c.kv.type() == KvType::F32 ? kern::GgmlType::F32 : kern::GgmlType::F16,
        static_cast<size_t>(kd), static_cast<size_t>(hd), static_cast<size_t>(vd), static_cast<size_t>(hdv),
        static_cast<size_t>(hp.n_head), static_cast<size_t>(hp.n_head_kv), static_cast<size_t>(hd),
        static_cast<size_t>(n), static_cast<size_t>(st.pos[0]), scale, st.attn.data()};
    tbb::parallel_for(tbb::blocked_range<size_t>(0, static_cast<size_t>(hp.n_head)),
                      [&](const tbb::blocked_range<size_t>& r) { kt.attention(aa, r.begin(), r.end()); });
  } else {
    attention_generic(c, scale);
  }

  matmul({&lw.wo, st.attn.data(), od, st.ffn_out.data(), E, n, nullptr, st.xq.data()});
  for (size_t i = 0; i < static_cast<size_t>(n) * static_cast<size_t>(E); ++i) st.x[i] += st.ffn_out[i];
}

}  // namespace moe
