#pragma once
// Tensor tables of the shared blocks: each loads the tensors its block reads, with shapes
// derived from the hyper-parameters. Architectures combine them in load_layer().
#include "model/blocks.hpp"
#include "model/tensor-loader.hpp"

namespace moe {

struct AttentionTensors {
  QkNorm qk_norm = QkNorm::none;
  bool biases = false;  // q/k/v biases required (qwen2, qwen2moe); otherwise loaded if present
};
void load_attention(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw, const AttentionTensors& p);
void load_dense_ffn(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw);
void load_moe_ffn(TensorLoader& l, const HParams& hp, int il, LayerWeights& lw, bool shared_expert);

}  // namespace moe
