// Type switches of the public quantization API (moe/kernels/quant.hpp) and the reference GEMV.
#include <stdexcept>
#include <string>
#include <vector>

#include "moe/kernels/quant.hpp"
#include "quant-internal.hpp"

namespace moe::kern {
namespace {

using T = GgmlType;

[[noreturn]] void unsupported(const char* what, GgmlType t) {
  throw std::invalid_argument(std::string(what) + ": type " + std::string(type_name(t)) +
                              " is not supported");
}

void check_row(const char* what, GgmlType t, int64_t n) {
  const int64_t be = traits(t).block_elems;
  if (n < 0 || n % be != 0)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(n) +
                                " elements is not a multiple of the " + std::string(type_name(t)) +
                                " block size " + std::to_string(be));
}

template <typename B>
const B* as(const void* p) { return static_cast<const B*>(p); }
template <typename B>
B* as(void* p) { return static_cast<B*>(p); }

}  // namespace

bool quant_supported(GgmlType t) noexcept {
  switch (t) {
    case T::F32: case T::F16: case T::BF16:
    case T::Q4_0: case T::Q4_1: case T::Q5_0: case T::Q5_1: case T::Q8_0:
    case T::Q2_K: case T::Q3_K: case T::Q4_K: case T::Q5_K: case T::Q6_K:
    case T::IQ4_NL: case T::IQ4_XS:
      return true;
    default:
      return false;
  }
}

void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) {
  check_row("dequantize_row", t, n);
  using namespace qref;
  switch (t) {
    case T::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case T::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(as<f16_bits>(src)[i]);
      return;
    case T::BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(as<uint16_t>(src)[i]);
      return;
    case T::Q4_0: return dequantize_q4_0(as<block_q4_0>(src), dst, n);
    case T::Q4_1: return dequantize_q4_1(as<block_q4_1>(src), dst, n);
    case T::Q5_0: return dequantize_q5_0(as<block_q5_0>(src), dst, n);
    case T::Q5_1: return dequantize_q5_1(as<block_q5_1>(src), dst, n);
    case T::Q8_0: return dequantize_q8_0(as<block_q8_0>(src), dst, n);
    case T::Q2_K: return dequantize_q2_K(as<block_q2_K>(src), dst, n);
    case T::Q3_K: return dequantize_q3_K(as<block_q3_K>(src), dst, n);
    case T::Q4_K: return dequantize_q4_K(as<block_q4_K>(src), dst, n);
    case T::Q5_K: return dequantize_q5_K(as<block_q5_K>(src), dst, n);
    case T::Q6_K: return dequantize_q6_K(as<block_q6_K>(src), dst, n);
    case T::Q8_K: return dequantize_q8_K(as<block_q8_K>(src), dst, n);
    case T::IQ4_NL: return dequantize_iq4_nl(as<block_iq4_nl>(src), dst, n);
    case T::IQ4_XS: return dequantize_iq4_xs(as<block_iq4_xs>(src), dst, n);
    default: unsupported("dequantize_row", t);
  }
}

void quantize_row_ref(GgmlType t, const float* src, void* dst, int64_t n) {
  check_row("quantize_row_ref", t, n);
  using namespace qref;
  switch (t) {
    case T::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case T::F16:
      for (int64_t i = 0; i < n; ++i) as<f16_bits>(dst)[i] = f32_to_f16(src[i]);
      return;
    case T::BF16:
      for (int64_t i = 0; i < n; ++i) as<uint16_t>(dst)[i] = f32_to_bf16(src[i]);
      return;
    case T::Q4_0: return quantize_q4_0(src, as<block_q4_0>(dst), n);
    case T::Q4_1: return quantize_q4_1(src, as<block_q4_1>(dst), n);
    case T::Q5_0: return quantize_q5_0(src, as<block_q5_0>(dst), n);
    case T::Q5_1: return quantize_q5_1(src, as<block_q5_1>(dst), n);
    case T::Q8_0: return quantize_q8_0(src, as<block_q8_0>(dst), n);
    case T::Q2_K: return quantize_q2_K(src, as<block_q2_K>(dst), n);
    case T::Q3_K: return quantize_q3_K(src, as<block_q3_K>(dst), n);
    case T::Q4_K: return quantize_q4_K(src, as<block_q4_K>(dst), n);
    case T::Q5_K: return quantize_q5_K(src, as<block_q5_K>(dst), n);
    case T::Q6_K: return quantize_q6_K(src, as<block_q6_K>(dst), n);
    case T::Q8_K: return quantize_q8_K(src, as<block_q8_K>(dst), n);
    case T::IQ4_NL: return quantize_iq4_nl(src, as<block_iq4_nl>(dst), n);
    case T::IQ4_XS: return quantize_iq4_xs(src, as<block_iq4_xs>(dst), n);
    default: unsupported("quantize_row_ref", t);
  }
}

GgmlType vec_dot_type(GgmlType weight_type) {
  switch (weight_type) {
    case T::F32: case T::F16: case T::BF16: return weight_type;
    case T::Q4_0: case T::Q4_1: case T::Q5_0: case T::Q5_1: case T::Q8_0: case T::IQ4_NL:
      return T::Q8_0;
    case T::Q2_K: case T::Q3_K: case T::Q4_K: case T::Q5_K: case T::Q6_K: case T::IQ4_XS:
      return T::Q8_K;
    default: unsupported("vec_dot_type", weight_type);
  }
}

void quantize_activation_ref(GgmlType vec_dot_t, const float* x, void* dst, int64_t n) {
  switch (vec_dot_t) {
    case T::F32: case T::F16: case T::BF16: case T::Q8_0: case T::Q8_K:
      return quantize_row_ref(vec_dot_t, x, dst, n);
    default: unsupported("quantize_activation_ref (not an activation format)", vec_dot_t);
  }
}

float vec_dot_ref(GgmlType weight_type, const void* w, const void* x, int64_t n) {
  check_row("vec_dot_ref", weight_type, n);
  using namespace qref;
  switch (weight_type) {
    case T::F32: return dot_f32(as<float>(w), as<float>(x), n);
    case T::F16: return dot_f16(as<f16_bits>(w), as<f16_bits>(x), n);
    case T::BF16: return dot_bf16(as<uint16_t>(w), as<uint16_t>(x), n);
    case T::Q4_0: return dot_q4_0(as<block_q4_0>(w), as<block_q8_0>(x), n);
    case T::Q4_1: return dot_q4_1(as<block_q4_1>(w), as<block_q8_0>(x), n);
    case T::Q5_0: return dot_q5_0(as<block_q5_0>(w), as<block_q8_0>(x), n);
    case T::Q5_1: return dot_q5_1(as<block_q5_1>(w), as<block_q8_0>(x), n);
    case T::Q8_0: return dot_q8_0(as<block_q8_0>(w), as<block_q8_0>(x), n);
    case T::IQ4_NL: return dot_iq4_nl(as<block_iq4_nl>(w), as<block_q8_0>(x), n);
    case T::Q2_K: return dot_q2_K(as<block_q2_K>(w), as<block_q8_K>(x), n);
    case T::Q3_K: return dot_q3_K(as<block_q3_K>(w), as<block_q8_K>(x), n);
    case T::Q4_K: return dot_q4_K(as<block_q4_K>(w), as<block_q8_K>(x), n);
    case T::Q5_K: return dot_q5_K(as<block_q5_K>(w), as<block_q8_K>(x), n);
    case T::Q6_K: return dot_q6_K(as<block_q6_K>(w), as<block_q8_K>(x), n);
    case T::IQ4_XS: return dot_iq4_xs(as<block_iq4_xs>(w), as<block_q8_K>(x), n);
    default: unsupported("vec_dot_ref", weight_type);
  }
}

void gemv_ref(GgmlType weight_type, const void* W, size_t row_stride_bytes, const float* x,
              float* y, int64_t rows, int64_t n) {
  const GgmlType act_t = vec_dot_type(weight_type);
  check_row("gemv_ref", weight_type, n);
  check_row("gemv_ref (activations)", act_t, n);
  if (row_stride_bytes < row_bytes(weight_type, n))
    throw std::invalid_argument("gemv_ref: row stride " + std::to_string(row_stride_bytes) +
                                " is smaller than a " + std::string(type_name(weight_type)) +
                                " row of " + std::to_string(n) + " elements");
  std::vector<std::byte> act(row_bytes(act_t, n));
  quantize_activation_ref(act_t, x, act.data(), n);
  const auto* base = static_cast<const std::byte*>(W);
  // Row r starts r * row_stride_bytes into W; the caller guarantees rows * stride bytes exist.
  for (int64_t r = 0; r < rows; ++r)
    y[r] = vec_dot_ref(weight_type, base + static_cast<size_t>(r) * row_stride_bytes, act.data(), n);
}

}  // namespace moe::kern
