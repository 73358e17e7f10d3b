#include <cmath>

#include "moe/kernels/reference.hpp"

namespace moe::kern {

void rope_cos_sin(float* cs, int64_t pos, size_t n_rot, float freq_base, float freq_scale) {
  // Angles in double: at position 100k the product pos * inv_freq loses digits in float.
  for (size_t i = 0; i < n_rot / 2; ++i) {
    const double inv_freq = std::pow(static_cast<double>(freq_base),
                                     -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    const double theta = static_cast<double>(pos) * freq_scale * inv_freq;
    cs[2 * i] = static_cast<float>(std::cos(theta));
    cs[2 * i + 1] = static_cast<float>(std::sin(theta));
  }
}

namespace ref {

void rope(const RopeArgs& a) {
  const size_t half = a.n_rot / 2;
  for (size_t h = 0; h < a.n_heads; ++h) {
    float* x = a.x + h * a.head_dim;
    for (size_t i = 0; i < half; ++i) {
      const double c = a.cs[2 * i], s = a.cs[2 * i + 1];
      const size_t i0 = a.mode == RopeMode::normal ? 2 * i : i;
      const size_t i1 = a.mode == RopeMode::normal ? 2 * i + 1 : i + half;
      const double x0 = x[i0], x1 = x[i1];
      x[i0] = static_cast<float>(x0 * c - x1 * s);
      x[i1] = static_cast<float>(x0 * s + x1 * c);
    }
  }
}

}  // namespace ref
}  // namespace moe::kern
