#include "model/block-tensors.hpp"

namespace moe {

void load_attention(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw, const AttentionTensors& p) {
  const int E = hp.n_embd;
  lw.attn_norm = l.vector(Tn::attn_norm, il, E);
  lw.wq = l.matrix(Tn::attn_q, il, E, hp.q_dim());
  lw.wk = l.matrix(Tn::attn_k, il, E, hp.k_dim());
  lw.wv = l.matrix(Tn::attn_v, il, E, hp.v_dim());
  lw.wo = l.matrix(Tn::attn_output, il, hp.attn_out_dim(), E);
  lw.bq = l.vector(Tn::attn_q, il, hp.q_dim(), p.biases, TnSuffix::bias);
  lw.bk = l.vector(Tn::attn_k, il, hp.k_dim(), p.biases, TnSuffix::bias);
  lw.bv = l.vector(Tn::attn_v, il, hp.v_dim(), p.biases, TnSuffix::bias);
  if (p.qk_norm == QkNorm::per_head) {
    lw.q_norm = l.vector(Tn::attn_q_norm, il, hp.head_dim_k);
    lw.k_norm = l.vector(Tn::attn_k_norm, il, hp.head_dim_k);
  } else if (p.qk_norm == QkNorm::full_width) {
    lw.q_norm = l.vector(Tn::attn_q_norm, il, hp.q_dim());
    lw.k_norm = l.vector(Tn::attn_k_norm, il, hp.k_dim());
  }
}

void load_dense_ffn(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  const int E = hp.n_embd;
  lw.ffn_norm = l.vector(Tn::ffn_norm, il, E);
  lw.ffn_gate = l.matrix(Tn::ffn_gate, il, E, hp.n_ff);
  lw.ffn_up = l.matrix(Tn::ffn_up, il, E, hp.n_ff);
  lw.ffn_down = l.matrix(Tn::ffn_down, il, hp.n_ff, E);
}

void load_moe_ffn(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw, bool shared_expert) {
  const int E = hp.n_embd;
  lw.ffn_norm = l.vector(Tn::ffn_norm, il, E);
  lw.router = l.matrix(Tn::ffn_gate_inp, il, E, hp.n_expert);
  lw.experts = l.experts(il, hp.n_expert, E, hp.n_ff_exp);
  if (shared_expert) {
    lw.shexp_gate_inp = l.vector(Tn::ffn_gate_inp_shexp, il, E);
    lw.shexp_gate = l.matrix(Tn::ffn_gate_shexp, il, E, hp.n_ff_shexp);
    lw.shexp_up = l.matrix(Tn::ffn_up_shexp, il, E, hp.n_ff_shexp);
    lw.shexp_down = l.matrix(Tn::ffn_down_shexp, il, hp.n_ff_shexp, E);
  }
}

}  // namespace moe
