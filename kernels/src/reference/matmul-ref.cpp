#include <cstddef>

#include "moe/kernels/quant.hpp"
#include "moe/kernels/reference.hpp"

namespace moe::kern::ref {

void quantize_q8_0(const float* x, void* y, size_t n) {
  quantize_activation_ref(GgmlType::Q8_0, x, y, static_cast<int64_t>(n));
}

void quantize_q8_K(const float* x, void* y, size_t n) {
  quantize_activation_ref(GgmlType::Q8_K, x, y, static_cast<int64_t>(n));
}

float vec_dot(GgmlType type, const void* w_row, const void* x, size_t n) {
  return vec_dot_ref(type, w_row, x, static_cast<int64_t>(n));
}

void gemv(const GemvArgs& a, size_t r0, size_t r1) {
  const auto* w = static_cast<const std::byte*>(a.w);
  for (size_t r = r0; r < r1; ++r) a.y[r] = vec_dot(a.type, w + r * a.row_bytes, a.x, a.n_cols);
}

void gemm(const GemmArgs& a, size_t r0, size_t r1) {
  const auto* w = static_cast<const std::byte*>(a.w);
  const auto* x = static_cast<const std::byte*>(a.x);
  for (size_t t = 0; t < a.n_tokens; ++t)
    for (size_t r = r0; r < r1; ++r)
      a.y[t * a.y_stride + r] = vec_dot(a.type, w + r * a.row_bytes, x + t * a.x_stride, a.n_cols);
}

bool has_fast_path(GgmlType) { return false; }

}  // namespace moe::kern::ref
