#include "model/weight-ops.hpp"

#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/quant.hpp"

namespace moe {

using kern::GgmlType;

bool weight_type_supported(GgmlType t) noexcept { return kern::quant_supported(t); }

GgmlType activation_type(GgmlType w) noexcept {
  // ggml converts activations to the weight's vec_dot type (f16, bf16, q8_0 or q8_K blocks)
  // inside every matmul; doing the same keeps us at llama.cpp's summation-order noise.
  return w == GgmlType::F32 ? GgmlType::F32 : kern::vec_dot_type(w);
}

size_t activation_row_bytes(GgmlType w, int64_t n) noexcept {
  const GgmlType a = activation_type(w);
  return a == GgmlType::F32 ? 0 : kern::row_bytes(a, n);
}

void prepare_activation(GgmlType w, const float* x, std::byte* xq, int64_t n) {
  const auto& k = kern::kernels();
  const auto un = static_cast<size_t>(n);
  // The SIMD table's 8-bit quantizers come with its quantized fast paths; until a type has
  // one, the scalar reference (bit-exact with ggml) prepares its activations.
  if (!k.has_fast_path(w)) {
    if (activation_type(w) != GgmlType::F32) kern::quantize_activation_ref(activation_type(w), x, xq, n);
    return;
  }
  // Invariant: xq rows are sized by activation_row_bytes and 2-byte aligned (64-byte slack).
  switch (activation_type(w)) {
    case GgmlType::F32: break;
    case GgmlType::F16: k.f32_to_f16(x, reinterpret_cast<uint16_t*>(xq), un); break;
    case GgmlType::BF16: k.f32_to_bf16(x, reinterpret_cast<uint16_t*>(xq), un); break;
    case GgmlType::Q8_0: k.quantize_q8_0(x, xq, un); break;
    case GgmlType::Q8_K: k.quantize_q8_K(x, xq, un); break;
    default: kern::quantize_activation_ref(activation_type(w), x, xq, n); break;
  }
}

float row_dot(GgmlType w, const std::byte* row, const float* x, const std::byte* xq, int64_t n) {
  // Invariant: GGUF tensor data is 32-byte aligned (validated by the reader), so f32 rows are
  // float-aligned.
  if (w == GgmlType::F32) return kern::kernels().dot_f32(reinterpret_cast<const float*>(row), x, static_cast<size_t>(n));
  return kern::vec_dot_ref(w, row, xq, n);
}

void dequantize_row(GgmlType t, const std::byte* row, float* out, int64_t n) { kern::dequantize_row(t, row, out, n); }

}  // namespace moe
