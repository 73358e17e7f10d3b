#pragma once
// MoE routing: gate logits -> probabilities (softmax, or sigmoid where the architecture says
// so) -> top-k (ties go to the lower expert id) -> optional renormalisation of the k weights.
// Callers pass preallocated buffers; nothing here allocates (decode is the hot path).
//
// Memory-aware routing (off by default) trades a little router probability for expert-cache
// hits. Two variants were implemented and measured with `moescope-cli cache-sim --sweep`:
//  - margin: an expert resident in the cache may replace a non-resident exact pick when its
//    score is at least (1 - margin) times the score of the pick it replaces (weakest picks
//    first). Resident exact picks are never dropped; each swap gives up at most `margin` of
//    the replaced pick's probability, whatever the scale of the scores.
//  - bonus: every resident expert's score gets `bonus` added before the top-k. Its effect
//    depends on the absolute scale of the probabilities (1/8 vs 1/256 for a uniform router),
//    so one bonus value means very different things per model, and a large bonus overrides
//    even a confident router. On the trained demo model at half budget (README: Measured)
//    the two traded hit rate for perplexity about equally (LFU: margin 0.5 -> 86.4% hits,
//    +0.02% ppl; bonus 0.1 -> 87.4%, -0.08%), so scale invariance and the per-swap bound
//    decided.
// Weights always come from the true probabilities of the experts picked (renormalised over
// the picks where the architecture renormalises), never from the biased scores.
#include <cstdint>

namespace moe {

enum class GateFn : uint8_t { softmax, sigmoid };
enum class AwareMode : uint8_t { off, margin, bonus };

struct RouterParams {
  int n_expert = 0;
  int k = 0;
  bool renorm = false;  // divide the k weights by their sum (mixtral, qwen3moe)
  GateFn gate = GateFn::softmax;
};

struct RouterScratch {
  float* probs = nullptr;  // (n_expert) scores, used by the memory-aware variants
};

// How a memory-aware choice differed from the exact top-k.
struct RouteDeviation {
  uint32_t changed_mask = 0;  // bit i (i < 32): ids[i] is not one of the exact top-k
  int changed = 0;            // picks that are not in the exact top-k
  float mass_exact = 0.0f;    // router probability of the exact top-k (before renormalisation)
  float mass_chosen = 0.0f;   // router probability of the experts picked
};

struct AwareParams {
  AwareMode mode = AwareMode::off;
  float margin = 0.0f;  // margin mode: relative to the pick replaced, in [0, 1)
  float bonus = 0.0f;   // bonus mode: added to resident experts' scores
};

// Exact routing: logits (n_expert) -> ids (k) and weights (k), best first. k <= 64.
void route(const RouterParams& p, const float* logits, RouterScratch scratch, int32_t* ids, float* weights);

// Memory-aware routing: like route(), preferring experts with resident[e] != 0 as `aware`
// says. Returns the deviation from exact routing (zero when nothing changed).
RouteDeviation route_aware(const RouterParams& p, const AwareParams& aware, const float* logits,
                           const uint8_t* resident, RouterScratch scratch, int32_t* ids, float* weights);

}  // namespace moe
