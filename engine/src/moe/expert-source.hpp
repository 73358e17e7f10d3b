#pragma once
// Where the MoE FFN gets one expert's matrices. The default source hands out views into the
// mapping (merged `ffn_*_exps` tensors or the older per-expert tensors, both normalised at load);
// a later bounded expert cache implements the same interface with pool slots.
#include "model/weights.hpp"

namespace moe {

class ExpertSource {
 public:
  virtual ~ExpertSource() = default;
  // Valid until the next call with the same layer (cache implementations may evict after).
  virtual ExpertView expert(int layer, int expert) const = 0;
};

class MappedExpertSource final : public ExpertSource {
 public:
  explicit MappedExpertSource(const ModelWeights& w) : w_(w) {}
  ExpertView expert(int layer, int expert) const override {
    return w_.layers[static_cast<size_t>(layer)].experts[static_cast<size_t>(expert)];
  }

 private:
  const ModelWeights& w_;
};

}  // namespace moe
