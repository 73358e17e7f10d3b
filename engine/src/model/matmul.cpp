#include "model/matmul.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include "model/weight-ops.hpp"

namespace moe {

size_t matmul_scratch_bytes(int64_t n_in, int n_tok) {
  // Widest prepared activation: f16/bf16 at 2 bytes per element; 8-bit blocks are smaller.
  return static_cast<size_t>(n_tok) * (static_cast<size_t>(n_in) * 2 + 64);
}

// HOT SPOT: every projection of the forward pass goes through here.
void matmul(const MatmulArgs& a) {
  const WeightView& w = *a.w;
  const int64_t n_in = w.n_in;
  const size_t xq_row = activation_row_bytes(w.type, n_in);
  if (xq_row != 0) {
    for (int t = 0; t < a.n_tok; ++t)
      prepare_activation(w.type, a.x + t * a.x_stride, a.xq + static_cast<size_t>(t) * xq_row, n_in);
  }
  // Each output element is computed by exactly one task in a fixed order: results do not
  // depend on the thread count.
  const int64_t grain = w.n_out >= 256 ? 32 : 8;
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, w.n_out, grain),
      [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t o = r.begin(); o < r.end(); ++o) {
          const std::byte* row = w.row(o);
          const float b = a.bias ? a.bias[o] : 0.0f;
          for (int t = 0; t < a.n_tok; ++t) {
            const std::byte* xq = xq_row ? a.xq + static_cast<size_t>(t) * xq_row : nullptr;
            a.y[t * a.y_stride + o] = row_dot(w.type, row, a.x + t * a.x_stride, xq, n_in) + b;
          }
        }
      },
      tbb::static_partitioner());
}

}  // namespace moe
