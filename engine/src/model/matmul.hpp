#pragma once
// y[t][o] = sum_i W[o][i] * x[t][i] for a batch of tokens, split over output rows on the
// current task arena. Must be called inside the engine's arena (task_arena::execute).
#include <cstddef>
#include <cstdint>
#include <span>

#include "model/weights.hpp"

namespace moe {

struct MatmulArgs {
  const WeightView* w = nullptr;
  const float* x = nullptr;   // (n_tok, x_stride), first w->n_in used
  int64_t x_stride = 0;
  float* y = nullptr;         // (n_tok, y_stride), first w->n_out written
  int64_t y_stride = 0;
  int n_tok = 1;
  const float* bias = nullptr;  // (n_out) added when non-null
  std::byte* xq = nullptr;    // scratch for prepared activations: n_tok * activation_row_bytes
};

void matmul(const MatmulArgs& a);
// Independent products in one parallel region. Arguments with the same x, n_tok and weight
// type share the first one's prepared activations; the others need their own xq slices.
void matmul_multi(std::span<const MatmulArgs> args);

// Bytes of MatmulArgs::xq needed for n_tok rows of width n_in of any type in this model.
size_t matmul_scratch_bytes(int64_t n_in, int n_tok);

}  // namespace moe
