// Dense and MoE feed-forward blocks.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/blocks.hpp"
#include "moe/kernels/dispatch.hpp"
#include "model/matmul.hpp"
#include "moe/expert-source.hpp"
#include "moe/router.hpp"
#include "moe/telemetry/hub.hpp"

namespace moe {

namespace {

// gate[i] = silu(gate[i]) * up[i]
void swiglu(float* gate, const float* up, size_t n) { kern::kernels().swiglu(gate, up, gate, n); }

constexpr int kMaxSlots = 16;  // decode fast path: routed experts + the shared one

struct FfnMats {
  const WeightView* gate;
  const WeightView* up;
  const WeightView* down;
};

// out (n_tok, n_embd) = down(silu(gate(x)) * up(x)) for x (n_tok, n_embd).
void run_ffn(ForwardState& st, const FfnMats& m, const float* x, int n_tok, int n_embd, float* out) {
  const int ff = static_cast<int>(m.gate->n_out);
  const MatmulArgs gu[2] = {{m.gate, x, n_embd, st.gate.data(), ff, n_tok, nullptr, st.xq_slice(0, n_tok)},
                            {m.up, x, n_embd, st.up.data(), ff, n_tok, nullptr, st.xq_slice(1, n_tok)}};
  matmul_multi(gu);
  for (int t = 0; t < n_tok; ++t)
    swiglu(st.gate.data() + static_cast<size_t>(t) * static_cast<size_t>(ff),
           st.up.data() + static_cast<size_t>(t) * static_cast<size_t>(ff), static_cast<size_t>(ff));
  matmul({m.down, st.gate.data(), ff, out, n_embd, n_tok, nullptr, st.xq.data()});
}

}  // namespace

void dense_ffn_block(BlockCtx& c) {
  ForwardState& st = c.st;
  const int E = c.hp.n_embd;
  const auto layer = static_cast<uint16_t>(c.layer);
  uint64_t t0 = tel::timestamp();
  rms_norm_rows(st.x.data(), c.lw.ffn_norm, st.xn.data(), c.n_tok, E, c.hp.rms_eps);
  tel::end_span(tel::OpKind::norm, layer, t0);
  t0 = tel::timestamp();
  run_ffn(st, {&c.lw.ffn_gate, &c.lw.ffn_up, &c.lw.ffn_down}, st.xn.data(), c.n_tok, E, st.ffn_out.data());
  tel::end_span(tel::OpKind::dense_ffn, layer, t0);
  for (size_t i = 0; i < static_cast<size_t>(c.n_tok) * static_cast<size_t>(E); ++i) st.x[i] += st.ffn_out[i];
}

namespace {

float shared_gate(const LayerWeights& lw, const float* x, size_t n) {
  float g = 0.0f;
  for (size_t i = 0; i < n; ++i) g += lw.shexp_gate_inp[i] * x[i];
  return 1.0f / (1.0f + std::exp(-g));
}

// Decode (one token): all chosen experts (and the shared one) in two parallel regions,
// gate+up of every expert, then every down projection. Sums in expert-id order, as the
// grouped batch path does, so decode and prefill agree exactly. views[i] is acquired expert
// st.moe.used[i] (ascending ids).
void moe_decode(BlockCtx& c, const MoeFfnParams& p, const ExpertView* views, int n_used) {
  const HParams& hp = c.hp;
  const LayerWeights& lw = c.lw;
  ForwardState& st = c.st;
  const int E = hp.n_embd;
  const auto nE = static_cast<size_t>(E), ffs = static_cast<size_t>(st.max_ff);
  ExpertView ev[kMaxSlots];
  float wts[kMaxSlots];
  int n_slots = 0;
  for (int i = 0; i < n_used; ++i) {
    ev[n_slots] = views[i];
    wts[n_slots++] = st.group_w[static_cast<size_t>(st.moe.used[static_cast<size_t>(i)]) * static_cast<size_t>(st.n_batch)];
  }
  const int n_routed = n_slots;
  if (p.shared_expert) ev[n_slots++] = {lw.shexp_gate, lw.shexp_up, lw.shexp_down};

  MatmulArgs gu[2 * kMaxSlots];
  MatmulArgs down[kMaxSlots];
  for (int j = 0; j < n_slots; ++j) {
    const auto J = static_cast<size_t>(j);
    const auto ff = ev[j].gate.n_out;
    gu[2 * J] = {&ev[j].gate, st.xn.data(), E, st.gate.data() + J * ffs, ff, 1, nullptr, st.xq_slice(2 * j, 1)};
    gu[2 * J + 1] = {&ev[j].up, st.xn.data(), E, st.up.data() + J * ffs, ff, 1, nullptr, st.xq_slice(2 * j + 1, 1)};
    down[J] = {&ev[j].down, st.gate.data() + J * ffs, ff, st.ffn_out.data() + J * nE, E, 1, nullptr,
               st.xq_slice(j, 1)};
  }
  matmul_multi(std::span<const MatmulArgs>(gu, static_cast<size_t>(2 * n_slots)));
  for (int j = 0; j < n_slots; ++j)
    swiglu(st.gate.data() + static_cast<size_t>(j) * ffs, st.up.data() + static_cast<size_t>(j) * ffs,
           static_cast<size_t>(ev[j].gate.n_out));
  matmul_multi(std::span<const MatmulArgs>(down, static_cast<size_t>(n_slots)));

  float* acc = st.moe_acc.data();
  std::memset(acc, 0, nE * sizeof(float));
  for (int j = 0; j < n_routed; ++j) {
    const float* o = st.ffn_out.data() + static_cast<size_t>(j) * nE;
    for (size_t i = 0; i < nE; ++i) acc[i] += wts[j] * o[i];
  }
  if (p.shared_expert) {
    const float g = shared_gate(lw, st.xn.data(), nE);
    const float* o = st.ffn_out.data() + static_cast<size_t>(n_routed) * nE;
    for (size_t i = 0; i < nE; ++i) acc[i] += g * o[i];
  }
  for (size_t i = 0; i < nE; ++i) st.x[i] += acc[i];
}

}  // namespace

void moe_ffn_block(BlockCtx& c, const MoeFfnParams& p) {
  const HParams& hp = c.hp;
  const LayerWeights& lw = c.lw;
  ForwardState& st = c.st;
  const int n = c.n_tok, E = hp.n_embd, X = hp.n_expert, K = hp.n_expert_used;
  const auto nE = static_cast<size_t>(E);
  const auto layer = static_cast<uint16_t>(c.layer);

  uint64_t t0 = tel::timestamp();
  rms_norm_rows(st.x.data(), lw.ffn_norm, st.xn.data(), n, E, hp.rms_eps);
  tel::end_span(tel::OpKind::norm, layer, t0);

  // Route every token, then group tokens by expert so each expert's matrices are streamed once
  // per batch (prefill is a GEMM per expert; decode is the n == 1 case of the same code).
  t0 = tel::timestamp();
  matmul({&lw.router, st.xn.data(), E, st.router_logits.data(), X, n, nullptr, st.xq.data()});
  const int n_used = route_layer(st, c.layer, n, {X, K, p.renorm, GateFn::softmax});
  tel::end_span(tel::OpKind::router, layer, t0, static_cast<uint64_t>(X) * nE * sizeof(float),
                2ull * static_cast<uint64_t>(n) * static_cast<uint64_t>(X) * nE);

  // Acquire the experts the batch uses from the source (pinned in chunks when they exceed
  // what the cache can pin at once), compute them, release them. While they compute, the
  // next layer's experts are guessed and paged in.
  const int chunk = c.experts.max_acquire(c.layer);
  if (n == 1 && n_used < kMaxSlots && n_used <= chunk) {
    const std::span<const int32_t> ids(st.moe.used.data(), static_cast<size_t>(n_used));
    t0 = tel::timestamp();
    c.experts.acquire(c.layer, ids, st.moe.views.data());
    tel::end_span(tel::OpKind::page_in, layer, t0);
    prefetch_next_layer(st, hp, c.layer, n);
    t0 = tel::timestamp();
    moe_decode(c, p, st.moe.views.data(), n_used);
    uint64_t w_bytes = 0, flops = 0;
    for (int i = 0; i < n_used; ++i) {
      const ExpertView& ev = st.moe.views[static_cast<size_t>(i)];
      w_bytes += static_cast<uint64_t>(ev.gate.n_out) * (ev.gate.row_bytes + ev.up.row_bytes) +
                 static_cast<uint64_t>(ev.down.n_out) * ev.down.row_bytes;
      flops += 6ull * static_cast<uint64_t>(ev.gate.n_out) * nE;
    }
    // One fused region runs the routed experts and the shared one: one span for both.
    tel::end_span(tel::OpKind::expert_ffn, layer, t0, w_bytes, flops);
    c.experts.release(c.layer, ids);
    return;
  }

  std::memset(st.moe_acc.data(), 0, static_cast<size_t>(n) * nE * sizeof(float));
  for (int c0 = 0; c0 < n_used; c0 += chunk) {
    const std::span<const int32_t> ids(st.moe.used.data() + c0, static_cast<size_t>(std::min(chunk, n_used - c0)));
    t0 = tel::timestamp();
    c.experts.acquire(c.layer, ids, st.moe.views.data());
    tel::end_span(tel::OpKind::page_in, layer, t0);
    if (c0 == 0) prefetch_next_layer(st, hp, c.layer, n);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto e = static_cast<size_t>(ids[i]);
      const int cnt = st.group_n[e];
      const int32_t* toks = st.group_tok.data() + e * static_cast<size_t>(st.n_batch);
      const float* wts = st.group_w.data() + e * static_cast<size_t>(st.n_batch);
      const ExpertView& ev = st.moe.views[i];
      t0 = tel::timestamp();
      const float* in = st.xn.data();
      if (n > 1) {
        for (int j = 0; j < cnt; ++j)
          std::memcpy(st.gathered.data() + static_cast<size_t>(j) * nE,
                      st.xn.data() + static_cast<size_t>(toks[j]) * nE, nE * sizeof(float));
        in = st.gathered.data();
      }
      run_ffn(st, {&ev.gate, &ev.up, &ev.down}, in, cnt, E, st.ffn_out.data());
      for (int j = 0; j < cnt; ++j) {
        float* acc = st.moe_acc.data() + static_cast<size_t>(toks[j]) * nE;
        const float* o = st.ffn_out.data() + static_cast<size_t>(j) * nE;
        for (size_t q = 0; q < nE; ++q) acc[q] += wts[j] * o[q];
      }
      const uint64_t w_bytes = static_cast<uint64_t>(ev.gate.n_out) * (ev.gate.row_bytes + ev.up.row_bytes) +
                               static_cast<uint64_t>(ev.down.n_out) * ev.down.row_bytes;
      tel::end_span(tel::OpKind::expert_ffn, layer, t0, w_bytes,
                    6ull * static_cast<uint64_t>(cnt) * static_cast<uint64_t>(ev.gate.n_out) * nE);
    }
    c.experts.release(c.layer, ids);
  }

  t0 = tel::timestamp();
  if (p.shared_expert) {
    run_ffn(st, {&lw.shexp_gate, &lw.shexp_up, &lw.shexp_down}, st.xn.data(), n, E, st.ffn_out.data());
    for (int t = 0; t < n; ++t) {
      const float g = shared_gate(lw, st.xn.data() + static_cast<size_t>(t) * nE, nE);
      float* acc = st.moe_acc.data() + static_cast<size_t>(t) * nE;
      const float* o = st.ffn_out.data() + static_cast<size_t>(t) * nE;
      for (size_t i = 0; i < nE; ++i) acc[i] += g * o[i];
    }
  }
  if (p.shared_expert) tel::end_span(tel::OpKind::shared_expert, layer, t0);
  for (size_t i = 0; i < static_cast<size_t>(n) * nE; ++i) st.x[i] += st.moe_acc[i];
}

}  // namespace moe
