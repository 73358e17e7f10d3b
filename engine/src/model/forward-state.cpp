#include "model/forward-state.hpp"

#include <algorithm>

#include "model/matmul.hpp"

namespace moe {

ForwardState::ForwardState(const HParams& hp, int n_batch_, int n_ctx_, int n_threads_)
    : n_batch(n_batch_), n_ctx(n_ctx_), n_threads(n_threads_) {
  max_ff = std::max({hp.n_ff, hp.n_ff_exp, hp.n_ff_shexp});
  const auto B = static_cast<size_t>(n_batch);
  const auto E = static_cast<size_t>(hp.n_embd);
  const auto X = static_cast<size_t>(std::max(hp.n_expert, 1));
  const auto K = static_cast<size_t>(std::max(hp.n_expert_used, 1));
  widest_in = std::max({hp.n_embd, max_ff, hp.attn_out_dim()});
  ffn_rows = std::max(n_batch, hp.n_expert_used + 1);
  const auto R = static_cast<size_t>(ffn_rows);
  pos.resize(B);
  rope.resize(B * static_cast<size_t>(hp.n_rot));
  x.resize(B * E);
  xn.resize(B * E);
  q.resize(B * static_cast<size_t>(hp.q_dim()));
  k.resize(B * static_cast<size_t>(hp.k_dim()));
  v.resize(B * static_cast<size_t>(hp.v_dim()));
  attn.resize(B * static_cast<size_t>(hp.attn_out_dim()));
  att.resize(static_cast<size_t>(n_threads) * static_cast<size_t>(n_ctx));
  kv_tmp.resize(static_cast<size_t>(n_threads) * 2 * static_cast<size_t>(std::max(hp.head_dim_k, hp.head_dim_v)));
  gate.resize(R * static_cast<size_t>(max_ff));
  up.resize(R * static_cast<size_t>(max_ff));
  ffn_out.resize(R * E);
  moe_acc.resize(B * E);
  gathered.resize(B * E);
  router_logits.resize(B * X);
  router_probs.resize(X);
  expert_ids.resize(B * K);
  expert_w.resize(B * K);
  group_tok.resize(X * B);
  group_w.resize(X * B);
  group_n.resize(X);
  shexp_g.resize(B);
  xq.resize(std::max(3 * matmul_scratch_bytes(widest_in, n_batch),
                     static_cast<size_t>(2 * (hp.n_expert_used + 1)) * matmul_scratch_bytes(widest_in, 1)));
}

std::byte* ForwardState::xq_slice(int i, int n_tok) {
  // Invariant: callers stay within the two shapes xq was sized for (see the header).
  return xq.data() + static_cast<size_t>(i) * matmul_scratch_bytes(widest_in, n_tok);
}

}  // namespace moe
