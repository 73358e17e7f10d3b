#pragma once
// Plain scalar references: the definition every SIMD variant is tested against, and the
// scalar variant of the kernel table. Accumulation is in double where it matters so the
// reference is the most accurate answer, not merely another rounding order.
#include <cstddef>
#include <cstdint>

#include "moe/kernels/kernel-table.hpp"

namespace moe::kern::ref {

float dot_f32(const float* a, const float* b, size_t n);
void rms_norm(const float* x, const float* w, float* y, size_t n, float eps);
void add(const float* a, const float* b, float* y, size_t n);
void scale(float* x, size_t n, float s);
void axpy(float a, const float* x, float* y, size_t n);
void softmax(float* x, size_t n, float s);
void silu(const float* x, float* y, size_t n);
void swiglu(const float* gate, const float* up, float* y, size_t n);
void rope(const RopeArgs& a);

size_t argmax(const float* x, size_t n);
void top_k(const float* x, size_t n, size_t k, int32_t* idx, float* val);

void f16_to_f32(const uint16_t* x, float* y, size_t n);
void f32_to_f16(const float* x, uint16_t* y, size_t n);
void bf16_to_f32(const uint16_t* x, float* y, size_t n);
void f32_to_bf16(const float* x, uint16_t* y, size_t n);

void quantize_q8_0(const float* x, void* y, size_t n);
void quantize_q8_K(const float* x, void* y, size_t n);

// Dot of one weight row (n elements of `type`) with one activation row (vec_dot_type(type)).
float vec_dot(GgmlType type, const void* w_row, const void* x, size_t n);
void gemv(const GemvArgs& a, size_t r0, size_t r1);
void gemm(const GemmArgs& a, size_t r0, size_t r1);
void attention(const AttentionArgs& a, size_t h0, size_t h1);

bool has_fast_path(GgmlType t);  // false: the reference is the slow path of everything

}  // namespace moe::kern::ref
