#pragma once
// The kernels each ISA variant provides. Kernels work on ranges; the engine parallelises.
#include <cstddef>
#include <cstdint>

namespace moe::kern {

struct KernelTable {
  const char* isa_name;

  // Dot product of two f32 vectors.
  float (*dot_f32)(const float* a, const float* b, size_t n);
  // y = x / sqrt(mean(x^2) + eps) * w
  void (*rms_norm)(const float* x, const float* w, float* y, size_t n, float eps);
};

}  // namespace moe::kern
