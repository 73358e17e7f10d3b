#pragma once
// Plain scalar references: the definition every SIMD variant is tested against.
#include <cstddef>

namespace moe::kern::ref {

float dot_f32(const float* a, const float* b, size_t n);
void rms_norm(const float* x, const float* w, float* y, size_t n, float eps);

}  // namespace moe::kern::ref
