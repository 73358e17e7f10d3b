#pragma once
// The seam between the engine and the kernels library for everything that depends on a
// weight's ggml type: which types can be multiplied, how activations are prepared for them,
// the row dot product and row dequantization. Only this file knows the quant/kernels APIs.
#include <cstddef>
#include <cstdint>

#include "moe/kernels/ggml-types.hpp"

namespace moe {

bool weight_type_supported(kern::GgmlType t) noexcept;

// The type activations are converted to before a dot product with a row of `w` (F32: none).
kern::GgmlType activation_type(kern::GgmlType w) noexcept;
// Bytes of one converted activation row of n elements (0 when no conversion).
size_t activation_row_bytes(kern::GgmlType w, int64_t n) noexcept;
// Converts one f32 activation row for rows of type w (no-op when activation_type is F32).
void prepare_activation(kern::GgmlType w, const float* x, std::byte* xq, int64_t n);

// dot(row of w, activation) where `x` is the f32 row and `xq` its prepared form.
float row_dot(kern::GgmlType w, const std::byte* row, const float* x, const std::byte* xq, int64_t n);

// Expands one row to f32 (embedding lookup, tied heads, tests).
void dequantize_row(kern::GgmlType t, const std::byte* row, float* out, int64_t n);

}  // namespace moe
