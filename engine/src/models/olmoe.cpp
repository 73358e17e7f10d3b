// olmoe: OLMoE. Full-width q/k RMS norms (n_embd weights, applied before splitting into heads),
// NeoX rope, experts whose top-k weights are NOT renormalised.
#include "model/arch.hpp"
#include "model/block-tensors.hpp"

namespace moe {

namespace {

void load_layer(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  load_attention(l, hp, il, lw, {.qk_norm = QkNorm::full_width, .biases = false});
  load_moe_ffn(l, hp, il, lw, /*shared_expert=*/false);
}

void forward_layer(BlockCtx& c) {
  attention_block(c, {.rope = RopeStyle::neox, .qk_norm = QkNorm::full_width});
  moe_ffn_block(c, {.renorm = false, .shared_expert = false});
}

}  // namespace

const ArchDef& arch_olmoe() {
  static const ArchDef def{
      .name = "olmoe",
      .needs = {.expert_ff_key = false, .shared_ff_key = false, .moe_required = true},
      .rope = RopeStyle::neox,
      .load_layer = &load_layer,
      .forward_layer = &forward_layer,
  };
  return def;
}

}  // namespace moe
