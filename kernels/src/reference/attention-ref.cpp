#include <algorithm>
#include <cmath>
#include <vector>

#include "moe/kernels/fp16.hpp"
#include "moe/kernels/reference.hpp"

namespace moe::kern::ref {

namespace {

double kv_at(const void* base, GgmlType t, size_t off) {
  if (t == GgmlType::F16) return moe::kern::f16_to_f32(static_cast<const uint16_t*>(base)[off]);
  return static_cast<const float*>(base)[off];
}

}  // namespace

void attention(const AttentionArgs& a, size_t h0, size_t h1) {
  const size_t group = a.n_head / a.n_head_kv;
  const size_t q_stride = a.n_head * a.head_dim;
  std::vector<double> score, acc(a.head_dim);
  for (size_t t = 0; t < a.n_tokens; ++t) {
    const size_t n_kv = a.pos0 + t + 1;  // causal: keys 0 ..= pos0 + t
    score.assign(n_kv, 0.0);
    for (size_t h = h0; h < h1; ++h) {
      const size_t g = h / group;
      const float* q = a.q + t * q_stride + h * a.head_dim;
      double mx = -INFINITY;
      for (size_t p = 0; p < n_kv; ++p) {
        const size_t base = p * a.k_pos_stride + g * a.k_head_stride;
        double s = 0.0;
        for (size_t d = 0; d < a.head_dim; ++d) s += q[d] * kv_at(a.k, a.kv_type, base + d);
        score[p] = s * a.scale;
        mx = std::max(mx, score[p]);
      }
      double sum = 0.0;
      for (size_t p = 0; p < n_kv; ++p) sum += score[p] = std::exp(score[p] - mx);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t p = 0; p < n_kv; ++p) {
        const size_t base = p * a.v_pos_stride + g * a.v_head_stride;
        for (size_t d = 0; d < a.head_dim; ++d) acc[d] += score[p] * kv_at(a.v, a.kv_type, base + d);
      }
      float* out = a.out + t * q_stride + h * a.head_dim;
      for (size_t d = 0; d < a.head_dim; ++d) out[d] = static_cast<float>(acc[d] / sum);
    }
  }
}

}  // namespace moe::kern::ref
