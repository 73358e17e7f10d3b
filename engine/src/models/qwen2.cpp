// qwen2: dense Qwen2 / Qwen2.5. q/k/v biases, NeoX rope.
#include "model/arch.hpp"
#include "model/block-tensors.hpp"

namespace moe {

namespace {

void load_layer(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  load_attention(l, hp, il, lw, {.qk_norm = QkNorm::none, .biases = true});
  load_dense_ffn(l, hp, il, lw);
}

void forward_layer(BlockCtx& c) {
  attention_block(c, {.rope = RopeStyle::neox, .qk_norm = QkNorm::none});
  dense_ffn_block(c);
}

}  // namespace

const ArchDef& arch_qwen2() {
  static const ArchDef def{
      .name = "qwen2",
      .needs = {.expert_ff_key = false, .shared_ff_key = false, .moe_required = false},
      .rope = RopeStyle::neox,
      .load_layer = &load_layer,
      .forward_layer = &forward_layer,
  };
  return def;
}

}  // namespace moe
