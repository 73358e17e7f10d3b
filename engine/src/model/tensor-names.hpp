#pragma once
// GGUF tensor names: one enum and one format table (llama.cpp's spelling). Nothing else in the
// engine spells a tensor name.
#include <string>

namespace moe {

enum class Tn {
  token_embd,
  output_norm,
  output,
  attn_norm,
  attn_q,
  attn_k,
  attn_v,
  attn_output,
  attn_q_norm,
  attn_k_norm,
  ffn_norm,
  ffn_gate,
  ffn_up,
  ffn_down,
  ffn_gate_inp,        // MoE router
  ffn_gate_exps,       // merged experts [n_embd, n_ff_exp, n_expert]
  ffn_up_exps,
  ffn_down_exps,       // [n_ff_exp, n_embd, n_expert]
  ffn_gate_expert,     // older per-expert layout: blk.%d.ffn_gate.%d.weight
  ffn_up_expert,
  ffn_down_expert,
  ffn_gate_inp_shexp,  // shared-expert sigmoid gate [n_embd]
  ffn_gate_shexp,
  ffn_up_shexp,
  ffn_down_shexp,
};

enum class TnSuffix { weight, bias };

// "blk.3.attn_q.bias"; `layer` is ignored for global tensors, `expert` only for per-expert ones.
std::string tensor_name(Tn t, int layer = -1, TnSuffix suffix = TnSuffix::weight, int expert = -1);

}  // namespace moe
