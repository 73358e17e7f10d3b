// qwen2moe: Qwen1.5-MoE / Qwen2-MoE. q/k/v biases, NeoX rope, experts whose top-k softmax
// weights are NOT renormalised, plus a shared expert scaled by sigmoid(ffn_gate_inp_shexp . x).
#include "model/arch.hpp"
#include "model/block-tensors.hpp"

namespace moe {

namespace {

void load_layer(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  load_attention(l, hp, il, lw, {.qk_norm = QkNorm::none, .biases = true});
  load_moe_ffn(l, hp, il, lw, /*shared_expert=*/true);
}

void forward_layer(BlockCtx& c) {
  attention_block(c, {.rope = RopeStyle::neox, .qk_norm = QkNorm::none});
  moe_ffn_block(c, {.renorm = false, .shared_expert = true});
}

}  // namespace

const ArchDef& arch_qwen2moe() {
  static const ArchDef def{
      .name = "qwen2moe",
      .needs = {.expert_ff_key = true, .shared_ff_key = true, .moe_required = true},
      .rope = RopeStyle::neox,
      .load_layer = &load_layer,
      .forward_layer = &forward_layer,
  };
  return def;
}

}  // namespace moe
