#include "model/weight-ops.hpp"

#include <cstring>

#include "moe/kernels/dispatch.hpp"
#include "moe/kernels/fp16.hpp"

namespace moe {

using kern::GgmlType;

namespace {

// Invariant for the reinterpret_casts below: GGUF tensor data is 32-byte aligned (validated by
// the reader) and rows of f16/bf16 start at even offsets.
const uint16_t* as_u16(const std::byte* p) noexcept { return reinterpret_cast<const uint16_t*>(p); }
const float* as_f32(const std::byte* p) noexcept { return reinterpret_cast<const float*>(p); }

}  // namespace

bool weight_type_supported(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
      return true;
    default:
      return false;
  }
}

GgmlType activation_type(GgmlType w) noexcept {
  // ggml rounds activations to the weight's float type inside f16/bf16 matmuls; matching that
  // keeps us at llama.cpp's own summation-order noise.
  switch (w) {
    case GgmlType::F16: return GgmlType::F16;
    case GgmlType::BF16: return GgmlType::BF16;
    default: return GgmlType::F32;
  }
}

size_t activation_row_bytes(GgmlType w, int64_t n) noexcept {
  const GgmlType a = activation_type(w);
  return a == GgmlType::F32 ? 0 : kern::row_bytes(a, n);
}

void prepare_activation(GgmlType w, const float* x, std::byte* xq, int64_t n) {
  switch (activation_type(w)) {
    case GgmlType::F16: {
      auto* h = reinterpret_cast<uint16_t*>(xq);
      for (int64_t i = 0; i < n; ++i) h[i] = kern::f32_to_f16(x[i]);
      break;
    }
    case GgmlType::BF16: {
      auto* h = reinterpret_cast<uint16_t*>(xq);
      for (int64_t i = 0; i < n; ++i) h[i] = kern::f32_to_bf16(x[i]);
      break;
    }
    default:
      break;
  }
}

float row_dot(GgmlType w, const std::byte* row, const float* x, const std::byte* xq, int64_t n) {
  switch (w) {
    case GgmlType::F32:
      return kern::kernels().dot_f32(as_f32(row), x, static_cast<size_t>(n));
    case GgmlType::F16: {
      const uint16_t* a = as_u16(row);
      const uint16_t* b = as_u16(xq);
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum += kern::f16_to_f32(a[i]) * kern::f16_to_f32(b[i]);
      return sum;
    }
    case GgmlType::BF16: {
      const uint16_t* a = as_u16(row);
      const uint16_t* b = as_u16(xq);
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum += kern::bf16_to_f32(a[i]) * kern::bf16_to_f32(b[i]);
      return sum;
    }
    default:
      return 0.0f;  // unreachable: types are checked at load (weight_type_supported)
  }
}

void dequantize_row(GgmlType t, const std::byte* row, float* out, int64_t n) {
  switch (t) {
    case GgmlType::F32:
      std::memcpy(out, row, static_cast<size_t>(n) * sizeof(float));
      break;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) out[i] = kern::f16_to_f32(as_u16(row)[i]);
      break;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) out[i] = kern::bf16_to_f32(as_u16(row)[i]);
      break;
    default:
      break;  // unreachable: types are checked at load
  }
}

}  // namespace moe
