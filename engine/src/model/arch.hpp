#pragma once
// One architecture = hyper-parameter needs + tensor table (load_layer) + block order
// (forward_layer), built from the shared blocks. One file per architecture in models/, one row
// in the registry (arch-registry.cpp).
#include <span>
#include <string_view>

#include "model/hparams.hpp"

namespace moe {

class TensorLoader;
struct LayerWeights;
struct BlockCtx;

struct ArchDef {
  std::string_view name;  // general.architecture
  HParamNeeds needs;
  RopeStyle rope = RopeStyle::normal;
  // Fills one layer's views; throws ModelError naming a missing/misshapen tensor.
  void (*load_layer)(TensorLoader& l, const HParams& hp, int layer, LayerWeights& out) = nullptr;
  // x += attention(x); x += ffn(x) for one layer, in this architecture's order.
  void (*forward_layer)(BlockCtx& ctx) = nullptr;
};

// Registry: nullptr when the architecture is unknown.
const ArchDef* find_arch(std::string_view name) noexcept;
std::span<const ArchDef* const> all_archs() noexcept;

// Defined once per file in models/.
const ArchDef& arch_llama();
const ArchDef& arch_qwen2();
const ArchDef& arch_qwen2moe();
const ArchDef& arch_qwen3();
const ArchDef& arch_qwen3moe();
const ArchDef& arch_olmoe();

}  // namespace moe
