// llama: Llama 1/2/3 (dense) and Mixtral (llama + experts: merged `ffn_*_exps` tensors or the
// older per-expert `ffn_gate.N.weight` layout, router renormalised over the top-k).
// Rope: original interleaved pairs. Optional q/k/v biases are used when present.
#include "model/arch.hpp"
#include "model/block-tensors.hpp"

namespace moe {

namespace {

void load_layer(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw) {
  load_attention(l, hp, il, lw, {.qk_norm = QkNorm::none, .biases = false});
  if (hp.is_moe())
    load_moe_ffn(l, hp, il, lw, /*shared_expert=*/false);
  else
    load_dense_ffn(l, hp, il, lw);
}

void forward_layer(BlockCtx& c) {
  attention_block(c, {.rope = RopeStyle::normal, .qk_norm = QkNorm::none});
  if (c.hp.is_moe())
    moe_ffn_block(c, {.renorm = true, .shared_expert = false});
  else
    dense_ffn_block(c);
}

}  // namespace

const ArchDef& arch_llama() {
  static const ArchDef def{
      .name = "llama",
      .needs = {.expert_ff_key = false, .shared_ff_key = false, .moe_required = false},
      .rope = RopeStyle::normal,
      .load_layer = &load_layer,
      .forward_layer = &forward_layer,
  };
  return def;
}

}  // namespace moe
