#pragma once
// Helpers shared by the kernel tests: deterministic inputs and the normalised error bound.
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace moe::test {

inline std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// NMSE = sum((a-b)^2) / sum(b^2), b the reference.
inline double nmse(const float* a, const float* b, size_t n) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += static_cast<double>(b[i]) * b[i];
  }
  return den == 0.0 ? num : num / den;
}

}  // namespace moe::test
