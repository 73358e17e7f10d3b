#pragma once
// Quantized tensor formats: scalar reference implementations, bit-exact with ggml.
//
// These are the definitions every SIMD kernel is tested against, and a slow but complete
// fallback for the model code. Layouts are those of quant-blocks.hpp; rounding follows ggml's
// reference (`*_ref`) quantizers, so quantizing an f32 tensor row by row reproduces the bytes
// llama-quantize writes without an importance matrix.
//
// Sizes: `n` is the number of elements of one row and must be a multiple of the type's block
// size (traits(t).block_elems); a row of type t occupies row_bytes(t, n) bytes. Functions that
// take a GgmlType throw std::invalid_argument for an unsupported type or a bad n.
#include <cstddef>
#include <cstdint>

#include "moe/kernels/ggml-types.hpp"

namespace moe::kern {

// Can tensors of type t be weights here: dequantize_row, quantize_row_ref, vec_dot_type,
// vec_dot_ref and gemv_ref all accept it (same as traits(t).supported). q8_K is an activation
// format only (ggml never stores tensors in it): quantize_row_ref, quantize_activation_ref and
// dequantize_row accept it, the weight functions do not.
bool quant_supported(GgmlType t) noexcept;

// Row of n elements of type t -> f32. Plain types (f32, f16, bf16) convert.
void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n);

// f32 row -> type t with ggml's reference quantizer (quantize_row_<t>_ref): no importance
// matrix, bit-exact. Also accepts the activation types q8_0 and q8_K.
void quantize_row_ref(GgmlType t, const float* src, void* dst, int64_t n);

// The format activations are converted to before a dot product with weights of type t:
//   f32 -> f32, f16 -> f16, bf16 -> bf16 (ggml rounds activations to the weight's float type),
//   q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl -> q8_0, K-quants and iq4_xs -> q8_K.
// ggml itself uses q8_1 for q4_1 / q5_1 (the block sum is stored with the block); we use q8_0
// there and compute the block sum of the int8 values in the dot product instead, so one
// activation format serves every 32-element type. The result differs from ggml only by the
// f16 rounding of ggml's stored q8_1 sum.
GgmlType vec_dot_type(GgmlType weight_type);

// Activations x (n floats) -> vec_dot_t format. q8_0 and q8_K (with its 16-element sums) are
// bit-exact with ggml's quantize_row_q8_0_ref / quantize_row_q8_K_ref.
void quantize_activation_ref(GgmlType vec_dot_t, const float* x, void* dst, int64_t n);

// Dot product of one weight row (type weight_type) with activations already in
// vec_dot_type(weight_type) format. Summation follows ggml's generic C kernels: integer sums
// per block, then one float multiply-add per block with the block scales (float types
// accumulate in double).
float vec_dot_ref(GgmlType weight_type, const void* w_row, const void* x_act, int64_t n);

// y[r] = W[r, :] . x for r < rows, W stored row-major with row_stride_bytes between rows
// (>= row_bytes(weight_type, n)). x is f32; it is quantized once to vec_dot_type(weight_type)
// the way ggml does before a matrix multiplication. Allocates the activation buffer.
void gemv_ref(GgmlType weight_type, const void* W, size_t row_stride_bytes, const float* x,
              float* y, int64_t rows, int64_t n);

}  // namespace moe::kern
