#include <algorithm>
#include <cmath>

#include "moe/kernels/fp16.hpp"
#include "moe/kernels/reference.hpp"

namespace moe::kern::ref {

void add(const float* a, const float* b, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void axpy(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void softmax(float* x, size_t n, float s) {
  if (n == 0) return;
  double mx = static_cast<double>(x[0]) * s;
  for (size_t i = 1; i < n; ++i) mx = std::max(mx, static_cast<double>(x[i]) * s);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) * s - mx);
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) * s - mx) / sum);
}

void silu(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(v / (1.0 + std::exp(-v)));
  }
}

void swiglu(const float* gate, const float* up, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double g = gate[i];
    y[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

size_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

void top_k(const float* x, size_t n, size_t k, int32_t* idx, float* val) {
  // Selection by repeated scans: O(n k), obviously right, and k is small (experts per token).
  for (size_t j = 0; j < k; ++j) {
    size_t best = n;
    for (size_t i = 0; i < n; ++i) {
      bool taken = false;
      for (size_t p = 0; p < j; ++p) taken = taken || static_cast<size_t>(idx[p]) == i;
      if (!taken && (best == n || x[i] > x[best])) best = i;
    }
    idx[j] = static_cast<int32_t>(best);
    val[j] = x[best];
  }
}

void f16_to_f32(const uint16_t* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = moe::kern::f16_to_f32(x[i]);
}
void f32_to_f16(const float* x, uint16_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = moe::kern::f32_to_f16(x[i]);
}
void bf16_to_f32(const uint16_t* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = moe::kern::bf16_to_f32(x[i]);
}
void f32_to_bf16(const float* x, uint16_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = moe::kern::f32_to_bf16(x[i]);
}

}  // namespace moe::kern::ref
