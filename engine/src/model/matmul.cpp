#include "model/matmul.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include "model/weight-ops.hpp"
#include "moe/kernels/dispatch.hpp"

namespace moe {

size_t matmul_scratch_bytes(int64_t n_in, int n_tok) {
  // Widest prepared activation: f16/bf16 at 2 bytes per element; 8-bit blocks are smaller.
  return static_cast<size_t>(n_tok) * (static_cast<size_t>(n_in) * 2 + 64);
}

// HOT SPOT: every projection of the forward pass goes through here.
void matmul(const MatmulArgs& a) {
  const WeightView& w = *a.w;
  const auto& k = kern::kernels();
  const int64_t n_in = w.n_in;
  const size_t xq_row = activation_row_bytes(w.type, n_in);
  if (xq_row != 0) {
    for (int t = 0; t < a.n_tok; ++t)
      prepare_activation(w.type, a.x + t * a.x_stride, a.xq + static_cast<size_t>(t) * xq_row, n_in);
  }
  const void* x = xq_row ? static_cast<const void*>(a.xq) : static_cast<const void*>(a.x);
  const size_t x_stride = xq_row ? xq_row : static_cast<size_t>(a.x_stride) * sizeof(float);

  // Fixed blocks of rows: the kernels tile rows, so block boundaries must not depend on the
  // thread count for results to be identical with 1 or N threads.
  constexpr int64_t kRowsPerBlock = 16;
  const int64_t n_blocks = (w.n_out + kRowsPerBlock - 1) / kRowsPerBlock;
  const bool fast = k.has_fast_path(w.type);
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, n_blocks),
      [&](const tbb::blocked_range<int64_t>& br) {
        const auto r0 = static_cast<size_t>(br.begin() * kRowsPerBlock);
        const auto r1 = static_cast<size_t>(std::min(br.end() * kRowsPerBlock, w.n_out));
        for (size_t b0 = r0; b0 < r1; b0 += kRowsPerBlock) {
          const size_t b1 = std::min(b0 + kRowsPerBlock, r1);
          if (!fast) {
            // Types without a SIMD path: the quant library's scalar dot (exact ggml sums).
            for (int t = 0; t < a.n_tok; ++t) {
              const std::byte* xt = static_cast<const std::byte*>(x) + static_cast<size_t>(t) * x_stride;
              for (size_t o = b0; o < b1; ++o)
                a.y[static_cast<size_t>(t * a.y_stride) + o] =
                    row_dot(w.type, w.row(static_cast<int64_t>(o)), reinterpret_cast<const float*>(xt), xt, n_in);
            }
          } else if (a.n_tok == 1) {
            k.gemv({w.type, w.data, w.row_bytes, static_cast<size_t>(n_in), x, a.y}, b0, b1);
          } else {
            k.gemm({w.type, w.data, w.row_bytes, static_cast<size_t>(n_in), x, x_stride,
                    static_cast<size_t>(a.n_tok), a.y, static_cast<size_t>(a.y_stride)},
                   b0, b1);
          }
          if (a.bias)
            for (int t = 0; t < a.n_tok; ++t)
              for (size_t o = b0; o < b1; ++o) a.y[static_cast<size_t>(t * a.y_stride) + o] += a.bias[o];
        }
      },
      tbb::static_partitioner());
}

}  // namespace moe
