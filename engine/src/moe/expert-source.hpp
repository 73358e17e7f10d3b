#pragma once
// Where the MoE FFN gets expert matrices. The mapped source hands out views into the mapping
// (merged `ffn_*_exps` tensors or the older per-expert tensors, both normalised at load); the
// cached source serves them from the bounded ExpertCache pool. The FFN acquires the experts
// of one layer, computes, and releases them; views stay valid until release().
#include <cstdint>
#include <span>

#include "model/weights.hpp"

namespace moe {

class ExpertSource {
 public:
  virtual ~ExpertSource() = default;
  // out[i] = views of experts[i] of `layer`, valid until release(layer, same experts).
  virtual void acquire(int layer, std::span<const int32_t> experts, ExpertView* out) const = 0;
  virtual void release(int /*layer*/, std::span<const int32_t> /*experts*/) const {}
  // Starts paging experts in ahead of use (no-op where everything is resident).
  virtual void prefetch(int /*layer*/, std::span<const int32_t> /*experts*/) const {}
  // Most experts of one layer that can be acquired (pinned) at once.
  virtual int max_acquire(int layer) const = 0;
  // resident[e] for one layer; false when every expert is always resident (no cache).
  virtual bool residency(int /*layer*/, uint8_t* /*resident*/) const noexcept { return false; }
};

class MappedExpertSource final : public ExpertSource {
 public:
  explicit MappedExpertSource(const ModelWeights& w) : w_(w) {}
  void acquire(int layer, std::span<const int32_t> experts, ExpertView* out) const override {
    const auto& ev = w_.layers[static_cast<size_t>(layer)].experts;
    for (size_t i = 0; i < experts.size(); ++i) out[i] = ev[static_cast<size_t>(experts[i])];
  }
  int max_acquire(int layer) const override {
    return static_cast<int>(w_.layers[static_cast<size_t>(layer)].experts.size());
  }

 private:
  const ModelWeights& w_;
};

}  // namespace moe
