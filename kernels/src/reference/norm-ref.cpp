#include <cmath>

#include "moe/kernels/reference.hpp"

namespace moe::kern::ref {

float dot_f32(const float* a, const float* b, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

void rms_norm(const float* x, const float* w, float* y, size_t n, float eps) {
  double sum_sq = 0.0;
  for (size_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

}  // namespace moe::kern::ref
