#include "moe/router.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace moe {

namespace {

// exp(x) for x <= 0 (arguments are logit - max), 4 lanes at a time with GCC/Clang vector
// extensions (SSE2 / NEON width, part of every baseline: no per-ISA file needed):
// 2^n * e^f with |f| <= ln2/2 and a degree-6 polynomial; relative error below 2e-7.
using V4f = float __attribute__((vector_size(16)));
using V4i = int32_t __attribute__((vector_size(16)));

inline V4f exp_nonpos4(V4f x) {
  const V4f lo = V4f{} - 87.0f;  // 2^-126 is the smallest normal the exponent trick can build
  x = x < lo ? lo : x;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const V4f t = x * kLog2e + kRound;
  const V4f n = t - kRound;
  const V4i ni = std::bit_cast<V4i>(t) - std::bit_cast<int32_t>(kRound);
  const V4f f = (x - n * kLn2Hi) - n * kLn2Lo;
  V4f p = V4f{} + 1.0f / 720.0f;
  p = p * f + 1.0f / 120.0f;
  p = p * f + 1.0f / 24.0f;
  p = p * f + 1.0f / 6.0f;
  p = p * f + 0.5f;
  p = p * f + 1.0f;
  p = p * f + 1.0f;
  const V4i bits = (ni + 127) << 23;
  return p * std::bit_cast<V4f>(bits);
}

inline float exp_nonpos(float x) {
  V4f v = V4f{} + x;
  return exp_nonpos4(v)[0];
}

float max_of(const float* v, int n) {
  float m = v[0];
  int e = 0;
  if (n >= 4) {
    V4f acc;
    std::memcpy(&acc, v, sizeof acc);
    for (e = 4; e + 4 <= n; e += 4) {
      V4f x;
      std::memcpy(&x, v + e, sizeof x);
      acc = x > acc ? x : acc;
    }
    for (int j = 0; j < 4; ++j) m = acc[j] > m ? acc[j] : m;
  }
  for (; e < n; ++e) m = v[e] > m ? v[e] : m;
  return m;
}

// probs[e] = softmax(logits)[e]
void softmax(const float* logits, int n, float* probs) {
  const float max = max_of(logits, n);
  V4f acc = V4f{};
  int e = 0;
  for (; e + 4 <= n; e += 4) {
    V4f x;
    std::memcpy(&x, logits + e, sizeof x);
    const V4f y = exp_nonpos4(x - max);
    std::memcpy(probs + e, &y, sizeof y);
    acc += y;
  }
  float sum = 0.0f;
  for (; e < n; ++e) sum += probs[e] = exp_nonpos(logits[e] - max);
  for (int j = 0; j < 4; ++j) sum += acc[j];
  const float inv = 1.0f / sum;
  for (e = 0; e < n; ++e) probs[e] *= inv;
}

// Top-k of v (n values), best first; ties keep the lower index (strict comparisons while
// scanning ids in ascending order). k <= n. The k-th value is the gate for insertion, so most
// elements cost one compare.
void top_k(const float* v, int n, int k, int32_t* ids, float* vals) {
  int filled = 0;
  for (int e = 0; e < n; ++e) {
    const float x = v[e];
    if (filled == k) {
      if (!(x > vals[k - 1])) continue;
      --filled;
    }
    int j = filled;
    while (j > 0 && vals[j - 1] < x) {
      vals[j] = vals[j - 1];
      ids[j] = ids[j - 1];
      --j;
    }
    vals[j] = x;
    ids[j] = e;
    ++filled;
  }
}

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Scores in [0, 1] for every expert: the probabilities the architecture routes on.
void scores(const RouterParams& p, const float* logits, float* probs) {
  if (p.gate == GateFn::sigmoid) {
    for (int e = 0; e < p.n_expert; ++e) probs[e] = sigmoid(logits[e]);
    return;
  }
  softmax(logits, p.n_expert, probs);
}

// Orders the picks by score, best first, ties to the lower id (k is small: insertion sort).
void sort_picks(int k, int32_t* ids, float* vals) {
  for (int i = 1; i < k; ++i) {
    const int32_t id = ids[i];
    const float v = vals[i];
    int j = i;
    while (j > 0 && (vals[j - 1] < v || (vals[j - 1] == v && ids[j - 1] > id))) {
      vals[j] = vals[j - 1];
      ids[j] = ids[j - 1];
      --j;
    }
    vals[j] = v;
    ids[j] = id;
  }
}

void weights_from_scores(const RouterParams& p, const float* s, float* weights) {
  if (!p.renorm) return;
  float sum = 0.0f;
  for (int j = 0; j < p.k; ++j) sum += s[j];
  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
  for (int j = 0; j < p.k; ++j) weights[j] = s[j] * inv;
}

constexpr int kMaxK = 64;

}  // namespace

// HOT SPOT: once per token and MoE layer. Selection runs on the probabilities, not the
// logits, as ggml does: two logits that round to the same probability tie, and the tie goes
// to the lower id, so batch and single-token passes agree when their logits differ in the
// last bits.
void route(const RouterParams& p, const float* logits, RouterScratch s, int32_t* ids, float* weights) {
  scores(p, logits, s.probs);
  top_k(s.probs, p.n_expert, p.k, ids, weights);
  weights_from_scores(p, weights, weights);
}

RouteDeviation route_aware(const RouterParams& p, const AwareParams& a, const float* logits, const uint8_t* resident,
                           RouterScratch scratch, int32_t* ids, float* weights) {
  RouteDeviation dev;
  if (a.mode == AwareMode::off || resident == nullptr) {
    route(p, logits, scratch, ids, weights);
    return dev;
  }
  const int n = p.n_expert, k = p.k;
  float* s = scratch.probs;
  int32_t exact[kMaxK];
  float top[kMaxK];
  scores(p, logits, s);
  top_k(s, n, k, exact, top);

  float picked_s[kMaxK];
  if (a.mode == AwareMode::margin) {
    int nonres = 0;
    for (int j = 0; j < k; ++j) nonres += resident[exact[j]] ? 0 : 1;
    int n_alt = 0;
    int32_t alt[kMaxK];
    float alt_s[kMaxK];
    if (nonres > 0) {
      const float thr = s[exact[k - 1]] * (1.0f - a.margin);
      for (int e = 0; e < n; ++e) {
        if (!resident[e] || !(s[e] >= thr)) continue;
        bool in_exact = false;
        for (int j = 0; j < k; ++j) in_exact |= exact[j] == e;
        if (in_exact) continue;
        // keep the best `nonres` alternatives (scan in id order: ties keep the lower id)
        if (n_alt == nonres) {
          if (!(s[e] > alt_s[n_alt - 1])) continue;
          --n_alt;
        }
        int j = n_alt;
        while (j > 0 && alt_s[j - 1] < s[e]) {
          alt_s[j] = alt_s[j - 1];
          alt[j] = alt[j - 1];
          --j;
        }
        alt_s[j] = s[e];
        alt[j] = e;
        ++n_alt;
      }
    }
    // Pair the weakest non-resident pick with the best alternative while the alternative is
    // within the margin of the pick it replaces (alternatives score at most the k-th best, so
    // when the weakest pick cannot be replaced no stronger one can). Resident picks stay.
    int used_alt = 0;
    for (int j = k - 1; j >= 0; --j) {
      const int32_t e = exact[j];
      if (!resident[e] && used_alt < n_alt && alt_s[used_alt] >= s[e] * (1.0f - a.margin)) {
        ids[j] = alt[used_alt++];
        continue;
      }
      ids[j] = e;
    }
  } else {
    // bonus: top-k of s + bonus * resident (the biased scores go into weights as scratch)
    float biased_top[kMaxK];
    int filled = 0;
    for (int e = 0; e < n; ++e) {
      const float x = s[e] + (resident[e] ? a.bonus : 0.0f);
      if (filled == k) {
        if (!(x > biased_top[k - 1])) continue;
        --filled;
      }
      int j = filled;
      while (j > 0 && biased_top[j - 1] < x) {
        biased_top[j] = biased_top[j - 1];
        ids[j] = ids[j - 1];
        --j;
      }
      biased_top[j] = x;
      ids[j] = e;
      ++filled;
    }
  }
  for (int j = 0; j < k; ++j) picked_s[j] = s[ids[j]];
  sort_picks(k, ids, picked_s);

  for (int j = 0; j < k; ++j) {
    dev.mass_exact += s[exact[j]];
    dev.mass_chosen += picked_s[j];
    bool in_exact = false;
    for (int i = 0; i < k; ++i) in_exact |= exact[i] == ids[j];
    if (in_exact) continue;
    ++dev.changed;
    if (j < 32) dev.changed_mask |= 1u << j;
  }
  std::memcpy(weights, picked_s, static_cast<size_t>(k) * sizeof(float));
  weights_from_scores(p, picked_s, weights);
  return dev;
}

}  // namespace moe
