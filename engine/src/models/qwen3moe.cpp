// qwen3moe: Qwen3-MoE. Per-head q/k RMS norms, NeoX rope, experts with renormalised top-k
// weights, no shared expert.
#include "model/arch.hpp"
#include "model/block-tensors.hpp"

namespace moe {

namespace {

void load_layer(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  load_attention(l, hp, il, lw, {.qk_norm = QkNorm::per_head, .biases = false});
  load_moe_ffn(l, hp, il, lw, /*shared_expert=*/false);
}

void forward_layer(BlockCtx& c) {
  attention_block(c, {.rope = RopeStyle::neox, .qk_norm = QkNorm::per_head});
  moe_ffn_block(c, {.renorm = true, .shared_expert = false});
}

}  // namespace

const ArchDef& arch_qwen3moe() {
  static const ArchDef def{
      .name = "qwen3moe",
      .needs = {.expert_ff_key = true, .shared_ff_key = false, .moe_required = true},
      .rope = RopeStyle::neox,
      .load_layer = &load_layer,
      .forward_layer = &forward_layer,
  };
  return def;
}

}  // namespace moe
