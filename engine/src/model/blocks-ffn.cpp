// Dense and MoE feed-forward blocks.
#include <cmath>
#include <cstring>

#include "model/blocks.hpp"
#include "model/matmul.hpp"
#include "moe/expert-source.hpp"
#include "moe/router.hpp"

namespace moe {

namespace {

// gate[t][i] = silu(gate[t][i]) * up[t][i]
void swiglu(float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

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
  rms_norm_rows(st.x.data(), c.lw.ffn_norm, st.xn.data(), c.n_tok, E, c.hp.rms_eps);
  run_ffn(st, {&c.lw.ffn_gate, &c.lw.ffn_up, &c.lw.ffn_down}, st.xn.data(), c.n_tok, E, st.ffn_out.data());
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
// grouped batch path does, so decode and prefill agree exactly.
void moe_decode(BlockCtx& c, const MoeFfnParams& p) {
  const HParams& hp = c.hp;
  const LayerWeights& lw = c.lw;
  ForwardState& st = c.st;
  const int E = hp.n_embd, X = hp.n_expert;
  const auto nE = static_cast<size_t>(E), ffs = static_cast<size_t>(st.max_ff);
  ExpertView ev[kMaxSlots];
  float wts[kMaxSlots];
  int n_slots = 0;
  for (int e = 0; e < X; ++e)
    if (st.group_n[static_cast<size_t>(e)] > 0) {
      ev[n_slots] = c.experts.expert(c.layer, e);
      wts[n_slots++] = st.group_w[static_cast<size_t>(e) * static_cast<size_t>(st.n_batch)];
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

  rms_norm_rows(st.x.data(), lw.ffn_norm, st.xn.data(), n, E, hp.rms_eps);
  matmul({&lw.router, st.xn.data(), E, st.router_logits.data(), X, n, nullptr, st.xq.data()});

  // Route every token, then group tokens by expert so each expert's matrices are streamed once
  // per batch (prefill is a GEMM per expert; decode is the n == 1 case of the same code).
  const RouterParams rp{X, K, p.renorm};
  for (int e = 0; e < X; ++e) st.group_n[static_cast<size_t>(e)] = 0;
  for (int t = 0; t < n; ++t) {
    int32_t* ids = st.expert_ids.data() + static_cast<size_t>(t * K);
    float* w = st.expert_w.data() + static_cast<size_t>(t * K);
    route(rp, st.router_logits.data() + static_cast<size_t>(t * X), {st.router_probs.data()}, ids, w);
    for (int j = 0; j < K; ++j) {
      const auto e = static_cast<size_t>(ids[j]);
      const auto slot = e * static_cast<size_t>(st.n_batch) + static_cast<size_t>(st.group_n[e]++);
      st.group_tok[slot] = t;
      st.group_w[slot] = w[j];
    }
  }

  if (n == 1 && K < kMaxSlots) return moe_decode(c, p);

  std::memset(st.moe_acc.data(), 0, static_cast<size_t>(n) * nE * sizeof(float));
  for (int e = 0; e < X; ++e) {
    const int cnt = st.group_n[static_cast<size_t>(e)];
    if (cnt == 0) continue;
    const int32_t* toks = st.group_tok.data() + static_cast<size_t>(e) * static_cast<size_t>(st.n_batch);
    const float* wts = st.group_w.data() + static_cast<size_t>(e) * static_cast<size_t>(st.n_batch);
    const float* in = st.xn.data();
    if (n > 1) {
      for (int j = 0; j < cnt; ++j)
        std::memcpy(st.gathered.data() + static_cast<size_t>(j) * nE,
                    st.xn.data() + static_cast<size_t>(toks[j]) * nE, nE * sizeof(float));
      in = st.gathered.data();
    }
    const ExpertView ev = c.experts.expert(c.layer, e);
    run_ffn(st, {&ev.gate, &ev.up, &ev.down}, in, cnt, E, st.ffn_out.data());
    for (int j = 0; j < cnt; ++j) {
      float* acc = st.moe_acc.data() + static_cast<size_t>(toks[j]) * nE;
      const float* o = st.ffn_out.data() + static_cast<size_t>(j) * nE;
      for (size_t i = 0; i < nE; ++i) acc[i] += wts[j] * o[i];
    }
  }

  if (p.shared_expert) {
    run_ffn(st, {&lw.shexp_gate, &lw.shexp_up, &lw.shexp_down}, st.xn.data(), n, E, st.ffn_out.data());
    for (int t = 0; t < n; ++t) {
      const float g = shared_gate(lw, st.xn.data() + static_cast<size_t>(t) * nE, nE);
      float* acc = st.moe_acc.data() + static_cast<size_t>(t) * nE;
      const float* o = st.ffn_out.data() + static_cast<size_t>(t) * nE;
      for (size_t i = 0; i < nE; ++i) acc[i] += g * o[i];
    }
  }
  for (size_t i = 0; i < static_cast<size_t>(n) * nE; ++i) st.x[i] += st.moe_acc[i];
}

}  // namespace moe
