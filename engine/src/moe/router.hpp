#pragma once
// MoE routing: softmax over the router logits -> top-k (ties go to the lower expert id) ->
// optional renormalisation of the k weights. A later memory-aware router replaces route()
// behind this seam; callers pass preallocated buffers (the decode path allocates nothing).
#include <cstdint>

namespace moe {

struct RouterParams {
  int n_expert = 0;
  int k = 0;
  bool renorm = false;  // divide the k weights by their sum (mixtral, qwen3moe)
};

struct RouterScratch {
  float* probs = nullptr;  // (n_expert) softmax of the logits
};

// logits (n_expert) -> ids (k) and weights (k), best first.
void route(const RouterParams& p, const float* logits, RouterScratch scratch, int32_t* ids, float* weights);

}  // namespace moe
