#include "moe/router.hpp"

#include <cmath>

namespace moe {

void route(const RouterParams& p, const float* logits, RouterScratch s, int32_t* ids, float* weights) {
  float max_logit = logits[0];
  for (int e = 1; e < p.n_expert; ++e) max_logit = std::fmax(max_logit, logits[e]);
  float sum = 0.0f;
  for (int e = 0; e < p.n_expert; ++e) {
    s.probs[e] = std::exp(logits[e] - max_logit);
    sum += s.probs[e];
  }
  const float inv = 1.0f / sum;
  for (int e = 0; e < p.n_expert; ++e) s.probs[e] *= inv;

  // k is small (2-8): repeated selection is cheaper than a sort and keeps ties deterministic
  // (strictly greater wins, so the lower id stays on equality).
  for (int j = 0; j < p.k; ++j) {
    int best = -1;
    for (int e = 0; e < p.n_expert; ++e) {
      bool taken = false;
      for (int i = 0; i < j; ++i) taken |= ids[i] == e;
      if (taken) continue;
      if (best < 0 || s.probs[e] > s.probs[best]) best = e;
    }
    ids[j] = best;
    weights[j] = s.probs[best];
  }
  if (p.renorm) {
    float wsum = 0.0f;
    for (int j = 0; j < p.k; ++j) wsum += weights[j];
    for (int j = 0; j < p.k; ++j) weights[j] /= wsum;
  }
}

}  // namespace moe
