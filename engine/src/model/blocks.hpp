#pragma once
// Shared building blocks of the transformer layers. Architectures (models/*.cpp) call them in
// their order with a parameter struct; each block reads st.x and adds its output to st.x.
#include "model/forward-state.hpp"
#include "model/hparams.hpp"
#include "model/weights.hpp"

namespace moe {

class KvCache;
class ExpertSource;

struct BlockCtx {
  const HParams& hp;
  const LayerWeights& lw;
  int layer;
  int n_tok;  // tokens in this batch; their positions are st.pos[0..n_tok)
  ForwardState& st;
  KvCache& kv;
  const ExpertSource& experts;
};

enum class QkNorm { none, per_head, full_width };

struct AttentionParams {
  RopeStyle rope = RopeStyle::normal;
  QkNorm qk_norm = QkNorm::none;  // RMS norm of q/k before rope (qwen3: per head, olmoe: full)
};
// x += wo * attention(rope(q), rope(k), v) over the cache, with q/k/v = W * rms_norm(x).
void attention_block(BlockCtx& c, const AttentionParams& p);

struct MoeFfnParams {
  bool renorm = false;         // renormalise the top-k weights (mixtral, qwen3moe)
  bool shared_expert = false;  // qwen2moe: + sigmoid(gate_inp_shexp . x) * shared FFN(x)
};
// x += sum_k w_k * expert_k(rms_norm(x)) (+ shared expert)
void moe_ffn_block(BlockCtx& c, const MoeFfnParams& p);

// x += down(silu(gate(xn)) * up(xn)), xn = rms_norm(x)
void dense_ffn_block(BlockCtx& c);

// Shared helpers of the blocks and the forward pass.
void rms_norm_rows(const float* x, const float* w, float* y, int n_rows, int n, float eps);
void rope_tables(const HParams& hp, ForwardState& st, int n_tok);  // fills st.rope from st.pos

}  // namespace moe
