#include <cmath>

#include "moe/kernels/fp16.hpp"
#include "moe/kernels/reference.hpp"

namespace moe::kern::ref {

namespace {

template <class W, class X, class Conv>
float dot_typed(const void* w, const void* x, size_t n, Conv conv) {
  const W* wp = static_cast<const W*>(w);
  const X* xp = static_cast<const X*>(x);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(conv(wp[i])) * conv(xp[i]);
  return static_cast<float>(sum);
}

// Until the quantized references land (branch quant), other types have no definition here.
float quant_vec_dot(GgmlType, const void*, const void*, size_t) { return NAN; }

}  // namespace

void quantize_q8_0(const float*, void*, size_t) {}
void quantize_q8_K(const float*, void*, size_t) {}

float vec_dot(GgmlType type, const void* w_row, const void* x, size_t n) {
  switch (type) {
    case GgmlType::F32:
      return dot_typed<float, float>(w_row, x, n, [](float v) { return v; });
    case GgmlType::F16:
      return dot_typed<uint16_t, uint16_t>(w_row, x, n, [](uint16_t v) { return moe::kern::f16_to_f32(v); });
    case GgmlType::BF16:
      return dot_typed<uint16_t, uint16_t>(w_row, x, n, [](uint16_t v) { return moe::kern::bf16_to_f32(v); });
    default:
      return quant_vec_dot(type, w_row, x, n);
  }
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
